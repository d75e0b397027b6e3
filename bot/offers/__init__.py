"""Job, apprenticeship and training offers: their storage (`store`), the importers of each source
(`france_travail`, `la_bonne_alternance`, `files`), their refresh (`refresh`), the youths' words for
trades (`trades`, data/offers/trades.yml), stations (`stations`), demo offers (`demo`) and the ranking
for a youth (`matching`)."""
