"""Natural-language understanding: a youth's message -> intent and entities, in Rasa's parse shape."""
