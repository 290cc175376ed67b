DROP TRIGGER products_notify_menu ON products;
DROP FUNCTION postech_notify_menu();
