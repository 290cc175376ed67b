-- Benchmark data set (on a freshly migrated database):
--   * 2 "hot" products every hot-row checkout names (the fast-food case: everyone orders
--     the burger and the fries);
--   * 200 more burgers for the spread checkout, 12 drinks for the product-list request;
--   * 500 open orders (2 lines each, statuses mixed) for the kitchen list.
-- Stock is the schema's maximum; bench/run.sh restocks the hot rows while checkouts run.

INSERT INTO products (id, category_id, name, description, price, stock_available) VALUES
    ('00000000-0000-4000-8000-00000000a001', 'fcab78d9-c377-41f4-bf34-03d1a8bdbd89',
     'X-Burguer', 'Hambúrguer do benchmark, o mais pedido', 15.90, 10000),
    ('00000000-0000-4000-8000-00000000b002', 'e8b1d3d4-738b-4207-9b2b-2c087858d7a7',
     'Batata Frita', 'Batata do benchmark, sempre junto', 9.90, 10000);

INSERT INTO products (id, category_id, name, description, price, stock_available)
SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid,
       'fcab78d9-c377-41f4-bf34-03d1a8bdbd89',
       'Lanche ' || g, 'Lanche número ' || g || ' do cardápio de benchmark', 10.00, 10000
FROM generate_series(1, 200) AS g;

INSERT INTO products (id, category_id, name, description, price, stock_available)
SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(1000 + g), 12, '0'))::uuid,
       '6b2e43a7-8764-48ec-8f7a-65134c8c1b9e',
       'Bebida ' || g, 'Bebida número ' || g || ' do cardápio de benchmark', 6.00, 10000
FROM generate_series(1, 12) AS g;

INSERT INTO orders (id, status, total, created_at)
SELECT ('10000000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid,
       (ARRAY['received', 'paid', 'in_preparation', 'ready'])[1 + g % 4],
       25.80,
       now() - make_interval(secs => 500 - g)
FROM generate_series(1, 500) AS g;

INSERT INTO order_items (order_id, product_id, position, product_name, unit_price, quantity)
SELECT id, '00000000-0000-4000-8000-00000000a001'::uuid, 1, 'X-Burguer', 15.90, 1 FROM orders
UNION ALL
SELECT id, '00000000-0000-4000-8000-00000000b002'::uuid, 2, 'Batata Frita', 9.90, 1 FROM orders;

INSERT INTO order_status_history (order_id, from_status, to_status, actor)
SELECT id, NULL, 'received', 'bench' FROM orders;

ANALYZE;
