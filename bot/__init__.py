"""The brain of sixtcap: the domain (catalogue, territory, youths) and its storage, free of any channel."""
