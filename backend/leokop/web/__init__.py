"""Web layer shared by every feature: layout rendering, forms, middleware, guards and error pages."""
