"""The safety layer: phrases that mean a youth may be in danger (suicidal thoughts, self-harm,
overdose, violence, sexual violence, immediate danger). Any match makes the message `crisis`, whatever
the classifier or the Rasa server says. It is tuned for recall: a false alarm only shows helplines
first; a miss is not acceptable. Patterns run on folded text (no accents, lower case, ' and - as spaces)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# "je", as youths write it: je, j, g, jv..., ch/chui
_ME = r"(?:me|m)"
_WANT = r"(?:veux|veu|vx|voudrais|voudrai|envie d|envie de|vais|vai|va|pense a|pense au|prefere)"

PATTERNS: dict[str, tuple[str, ...]] = {
    "suicide": (
        r"suicid",
        rf"\b{_ME} (?:tuer|foutre en l air|pendre|jeter (?:sous|du|d un|de la|par)|flinguer|buter|noyer|"
        r"ouvrir les veines|foutre en lair)",
        rf"{_WANT}\s?(?:mourir|crever|en finir|disparaitre pour (?:toujours|de bon)|plus (?:vivre|exister|me reveiller))",
        r"\ben finir\b",
        r"mettre fin a (?:mes jours|ma vie|tout)",
        r"\ben vie\b",
        r"(?:veux|veu|vx|ve) plus vivre",
        r"idees? (?:noires?|suicidaires?|de mort)",
        r"passer a l acte",
        r"saute[rz]?\b.{0,30}\b(?:pont|toit|fenetre|immeuble|balcon|quai|falaise|etage|rebord)",
        r"\b(?:pont|toit|fenetre|immeuble|balcon|quai|falaise|rebord)\b.{0,40}\bsauter?\b",
        r"(?:vais|vai|va|envie de|veux) sauter\b",
        r"(?:sous|devant) (?:le|un|une) (?:rer|train|metro|bus|voiture|camion)",
        r"pense(?:s|r)? (?:a|au) (?:la mort|mourir|suicide|me tuer|en finir)",
        r"\bla mort\b",
        r"dernier message",
        r"mieux sans moi",
        r"lettre (?:d adieu|pour ma famille)",
        r"\badieu\b",
        r"disparaitre (?:pour toujours|definitivement|a jamais|de la surface)",
        r"(?:que|veux que) tout s arrete",
        r"plus la (?:peine|force) de (?:vivre|continuer)",
        r"(?:me|m) regrettera",
        r"(?:vivre|tenir) jusqu a demain",
        r"\bfini pour moi\b",
        r"le faire (?:ce soir|cette nuit|demain)",
        r"\bmourir\b(?! de (?:rire|faim|chaud|froid|honte|ennui))",
        r"(?:prevu|decide|decidee) de le faire|tout prevu",
        r"\badieux\b",
        r"derniere fois que (?:vous|tu|on)",
    ),
    "self_harm": (
        r"scarifi",
        r"automutil",
        rf"\b{_ME} (?:coupe|couper|coupes|mutile|mutiler|taillade|taillader|scarifie|lacere)\b"
        r"(?! (?:l electricite|le courant|le gaz|l eau|la ligne|internet|le forfait|la parole|les cheveux|les vivres))",
        r"me suis (?:encore )?(?:coupee?|ouverte?|brulee?|scarifiee?|mutilee?|fait du mal|blessee? expres)",
        r"(?:coupe|ouvert|ouvre|entaille|taillade)e?s? (?:le|les|mon|mes|la|ma) (?:bras|poignets?|veines?|cuisses?|jambes?|peau|ventre)",
        rf"\b{_ME} (?:fais|faire|fait) (?:du mal|saigner|mal expres)",
        r"\b(?:lame|lames|cutter|cutters)\b",
        r"rasoir (?:sur|contre) (?:moi|mon|ma|mes)",
        r"brulures? de (?:cigarette|clope)",
        r"brule[rz]? avec (?:des|une|un|mes|ma|mon) (?:clopes?|cigarettes?|briquet|fer)",
        r"jusqu au sang|\b(?:me|m) griff",
        r"tete contre (?:les|le) murs?",
        r"\bsaign|\ben sang\b",
    ),
    "overdose": (
        r"overdose|surdose|\bod\b",
        r"(?:avale|avaler|pris|prendre|bu|boire|gobe|gober|ingurgite)\b.{0,40}"
        r"\b(?:cachets|comprimes?|medocs|medicaments|toute? la (?:boite|plaquette)|tout le (?:flacon|tube)|"
        r"flacon|javel|doliprane|paracetamol|somniferes?|xanax|lexomil|tramadol|anxiolytiques?|antidepresseurs?|"
        r"plaquette|trop de)",
        r"\b(?:\d+|trop de|toute? la|plein de) (?:cachets?|comprimes?|medocs?|medicaments?|pilules?)",
        r"(?:medocs?|medicaments?|cachets?|comprimes?)\b.{0,30}\b(?:alcool|vodka|whisky|biere|rhum|alcools?)",
        r"\bempoisonn",
        r"(?:bu|avale|boire|avaler) (?:du|de la|de l|des) (?:produit|javel|detergent|white spirit|alcool a bruler|destop)",
        r"(?:alcool|vodka|whisky|biere|rhum)\b.{0,30}\b(?:cachets?|medocs?|medicaments?|comprimes?)",
        r"\bflacon\b",
        r"(?:se|me) reveille (?:pas|plus)",
        r"(?:m a|on m a|ils m ont) droguee?|drogue dans mon verre",
    ),
    "violence": (
        rf"\b{_ME} (?:frappe|frappent|bat|battent|cogne|cognent|etrangle|etranglent|gifle|giflent|tabasse|"
        r"tabassent|enferme|enferment|attache|attachent)\b",
        r"(?<!ca )(?<!cela )\b(?:me|m) (?:tape|tapent|brule|brulent|menace|menacent)\b"
        r"(?! sur les nerfs| la honte| un delire| dans l oeil| quand je fais pipi)",
        r"\bm a (?:frappee?|tapee?|cognee?|etranglee?|giflee?|tabassee?|poussee?|bousculee?|blessee?|menacee?|"
        r"agressee?|brulee?|attachee?|enfermee?|mis une (?:claque|gifle|baffe|patate|droite|beigne))",
        r"(?:ont|a) (?:frappe|tabasse|cogne|agresse)",
        r"me suis fait (?:agresser|agressee?|frapper|taper|tabasser|cogner|attaquer|racketter)",
        r"\b(?:frappe|tape|battu|battue|cogne|etrangle|tabasse)e?s? (?:par|a la maison|chez moi)",
        r"violences? (?:conjugales?|familiales?|a la maison|chez moi|de mon|de ma)",
        r"violente? avec (?:moi|nous|ma mere|mon pere|ma soeur|mon frere)",
        r"(?:tape|frappe|cogne|bat) (?:tout le monde|ma mere|mon pere|ma soeur|mon frere|les enfants)",
        r"\bbattue?s?\b",
        r"\bdes bleus\b",
        r"coups? de (?:ceinture|poing|pied|couteau)",
        r"mariage force|marier de force|forcee? a (?:me )?marier",
        r"contre (?:ma|mon) (?:volonte|gre)",
        r"serre (?:le|mon) cou|etrangl",
        r"menaces? de mort|menace de me tuer",
    ),
    "sexual_violence": (
        r"\bviol\b|\bviolee?s?\b|\bvioler\b|\bviole\b",
        r"attouchements?",
        r"agress\w* sexuel",
        r"abus\w* sexuel",
        r"\binceste\b",
        r"(?:oblige|force|forcee|forcent|obligent)\b.{0,25}\b(?:coucher|sexuel|sexuels|sucer|embrasser|deshabiller|toucher)",
        r"\bm a forcee?\b",
        r"\bde force\b",
        r"\bm a touchee?\b",
        r"(?<!ca )(?<!cela )(?<!ca m )\bme touche(?:nt)?\b",
        r"sans (?:mes )?(?:habits|vetements)",
        r"adulte\b.{0,40}\b(?:photos?|rejoigne|rejoindre|rencontrer|seule? avec)",
        r"(?:envoie|demande|veut)\w* des photos (?:de moi|nue?s?|intimes?)",
        r"nudes?\b",
    ),
    "danger": (
        r"\b(?:couteaux?|armes?|flingues?|pistolets?|machettes?)\b",
        rf"(?:va|vont|veut|veulent|vais|allait|allaient) {_ME} (?:tuer|frapper|taper|tabasser|planter|buter|violer|"
        r"defoncer|egorger|bruler|lyncher|crever)",
        r"\ben danger\b",
        r"au secours|aide moi vite|aidez moi vite|appelez la police|a l aide\b",
        r"peur pour ma vie",
        r"(?:me|m) (?:suit|suivent|poursuit|poursuivent)\b",
        r"m attendent (?:en bas|dehors|devant)",
        r"(?:il|ils|elle) (?:est|sont) devant (?:ma porte|chez moi|mon immeuble)",
        r"defonce[rz]? (?:la|ma|notre) porte",
        r"enfermee? (?:dans|a la maison|chez)",
        r"(?:mis|mise|jete|jetee|vire|viree|foutu|foutue)s? (?:a la porte|dehors)",
        r"\bm a (?:viree?|jetee?|chassee?) (?:de chez|de la maison|dehors|a minuit|cette nuit|ce soir)",
        r"(?:vire|viree|mis|mise|jete|jetee)s? (?:a|vers) (?:minuit|\d+ ?h)",
        r"(?:a la rue|dans la rue|dehors)\b.{0,30}\b(?:ce soir|cette nuit|minuit|\d+ ?h|du mat)",
        r"nulle part ou (?:aller|dormir)|pas ou dormir",
        r"\bfugu",
        r"seule? dehors|cage d escalier",
    ),
}

COMPILED: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern)) for kind, patterns in PATTERNS.items() for pattern in patterns
)


@dataclass(frozen=True)
class Alarm:
    kind: str  # suicide, self_harm, overdose, violence, sexual_violence, danger
    start: int  # in the folded text
    end: int


def alarms(folded: str) -> list[Alarm]:
    """Every danger phrase in the folded text (several kinds may match)."""
    text = " ".join(folded.split())
    found: list[Alarm] = []
    for kind, pattern in COMPILED:
        match = pattern.search(text)
        if match and not any(a.kind == kind for a in found):
            found.append(Alarm(kind, match.start(), match.end()))
    return found
