-- Nantong's real jurisdictions (PRODUCT.md). Staff add more in the app.
INSERT INTO jurisdictions (code, name, kind, sort_order) VALUES
    ('320600', '南通市', 'city', 0),
    ('320613', '崇川区', 'county', 1),
    ('320612', '通州区', 'county', 2),
    ('320614', '海门区', 'county', 3),
    ('320682', '如皋市', 'county', 4),
    ('320685', '海安市', 'county', 5),
    ('320681', '启东市', 'county', 6),
    ('320623', '如东县', 'county', 7),
    ('NTETDZ', '南通经济技术开发区', 'county', 8);
