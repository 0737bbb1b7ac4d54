-- A management key may be bound to one application: it then acts there alone.
ALTER TABLE keys ADD COLUMN bound_application TEXT;
