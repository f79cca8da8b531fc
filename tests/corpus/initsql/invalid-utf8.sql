CREATE EXTENSION IF NOT EXISTS "uuid-ossp";
-- caféÿ
