"""The staff API (FastAPI routers), thin over the same services as the bot."""
