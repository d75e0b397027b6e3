"""Channel adapters (Telegram, WhatsApp, the website widget): each translates a platform's messages to
and from the brain's, and nothing else."""
