"""Code lists of the data·inclusion schema v1 (the subset sixtcap uses), and sixtcap's partner kinds."""

from __future__ import annotations

SERVICE_TYPES = frozenset(
    {"accompagnement", "aide-financiere", "aide-materielle", "atelier", "formation", "information"}
)
FRAIS = frozenset({"gratuit", "payant"})
MODES_ACCUEIL = frozenset({"a-distance", "en-presentiel"})
MODES_MOBILISATION = frozenset(
    {"envoyer-un-courriel", "se-presenter", "telephoner", "utiliser-lien-mobilisation"}
)
MOBILISABLE_PAR = frozenset({"usagers", "professionnels"})
PUBLICS = frozenset(
    {
        "tous-publics",
        "jeunes",
        "demandeurs-emploi",
        "etudiants",
        "femmes",
        "familles",
        "personnes-en-situation-durgence",
        "personnes-exilees",
        "residents-qpv-frr",
        "personnes-en-situation-de-handicap",
    }
)
RESEAUX_PORTEURS = frozenset(
    {
        "mission-locale",
        "ecoles-de-la-deuxieme-chance",
        "epide",
        "reseau-information-jeunesse",
        "residences-fjt",
        "france-travail",
        "caf",
        "cpam",
    }
)
THEMATIQUES = frozenset(
    {
        # driving licence, mobility
        "mobilite--preparer-un-permis",
        "mobilite--financer-ma-mobilite",
        "mobilite--etre-accompagne-dans-son-parcours-mobilite",
        # health
        "sante--acces-aux-soins",
        "sante--sante-mentale",
        "sante--addictions",
        "sante--sante-sexuelle",
        # paperwork
        "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives",
        "difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits",
        # sport, self-confidence, social ties
        "remobilisation--activites-sportives-et-culturelles",
        "remobilisation--bien-etre-confiance-en-soi",
        "remobilisation--lien-social",
        # job
        "trouver-un-emploi--repondre-a-des-offres-demploi",
        "preparer-sa-candidature--realiser-un-cv-et-ou-une-lettre-de-motivation",
        "trouver-un-emploi--convaincre-un-recruteur-en-entretien",
        "choisir-un-metier--decouvrir-un-metier-ou-un-secteur-dactivite",
        # training
        "se-former--trouver-sa-formation",
        "se-former--monter-son-dossier-de-formation",
        "lecture-ecriture-calcul--maitriser-le-francais",
        # housing
        "logement-hebergement--rechercher-une-solution-dhebergement-temporaire",
        "logement-hebergement--louer-un-logement",
        "logement-hebergement--sinformer-sur-les-demarches-liees-a-lacces-au-logement",
        # money, food
        "difficultes-financieres--ameliorer-sa-gestion-budgetaire",
        "difficultes-financieres--situation-dendettement-surendettement",
        "equipement-et-alimentation--alimentation",
        # rights, justice
        "difficultes-administratives-ou-juridiques--prendre-en-compte-une-problematique-judiciaire",
        "difficultes-administratives-ou-juridiques--connaitre-ses-droits-face-a-une-discrimination",
        # digital
        "numerique--acceder-a-des-services-en-ligne",
        "numerique--acquerir-un-equipement",
        # family
        "famille--surmonter-conflits-separation-violence",
    }
)

# sixtcap's own list: the kinds of the 6Tcap partners (not in data·inclusion).
PARTNER_KINDS = {
    "mission-locale": "Mission locale",
    "ecole-deuxieme-chance": "École de la deuxième chance",
    "epide": "EPIDE",
    "prevention-specialisee": "Club de prévention / éducateurs de rue",
    "insertion-par-le-sport": "Insertion par le sport",
    "organisme-de-formation": "Organisme de formation",
    "mediation-interculturelle": "Médiation interculturelle",
    "point-ecoute-jeunes": "Point écoute jeunes",
    "service-jeunesse-ville": "Service jeunesse de la ville",
}
