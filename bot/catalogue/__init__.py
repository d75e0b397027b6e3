"""The partners' catalogue: file format and checks (`schema`, `files`), loading into the database
(`loader`), data·inclusion export (`datainclusion`), opening hours (`hours`)."""
