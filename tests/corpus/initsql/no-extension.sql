ALTER SYSTEM SET max_connections = 'lots';
