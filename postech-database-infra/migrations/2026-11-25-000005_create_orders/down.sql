-- Dropping the table drops order_number_seq too (OWNED BY).
DROP TABLE orders;
