CREATE EXTENSION $tag$ never closed
/* /* nested */
ALTER SYSTEM SET a = '