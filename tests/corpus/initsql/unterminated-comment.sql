/* never closed
CREATE EXTENSION "uuid-ossp";
