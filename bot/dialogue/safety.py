"""Danger: the helplines that fit before anything else (bot/crisis.py grades them), the check-in question,
the follow-up buttons, and crisis mode (listening, no menus) until the youth asks for something."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta

from bot.catalogue.hours import opening_status
from bot.crisis import ABOUT_OTHER, MAJORITY, CrisisReply, named_in
from bot.dialogue import answers
from bot.dialogue.context import LAST_ANSWER, Context
from bot.dialogue.handoff import already_open, open_handoff, suggested_partner
from bot.dialogue.profile import a_sentence, only_answers, take_answers
from bot.dialogue.results import advance, specific_said
from bot.dialogue.turn import FAQ, INFORM, Reply, Turn
from bot.handoffs import when_answered
from bot.messages import Button, Outgoing
from bot.state import AGE, CONCERN, CRISIS, CRISIS_CHECK, HANDOFF, NEW, TOWN, State
from nlu.answers import is_question
from nlu.parser import DANGER_EXTRACTOR
from nlu.text import fold, words

PERSON_FIRST = {"suicide", "self_harm", "medical", "hopelessness", "threat"}
# where "pas la police" is heard: help without the police is offered (the 17 still there)
POLICE_KINDS = {"threat", "violence", "partner_violence", "abuse_home", "sexual_violence", "forced_marriage"}
ASK_HUMAN_SURE = 0.6  # in crisis mode, "je veux parler à quelqu'un" this surely: an urgent question
FIRST_HOURS_ANSWER = "violences_sexuelles_urgence"  # data/answers/: the first hours after a sexual assault
PARENTS_ANSWER = "parents_prevenus"  # data/answers/: are the parents told
WRITING_ANSWER = "ecrire_sans_appeler"  # data/answers/: the tchats and the SMS 114
EMERGENCY_ANSWER = "urgence_en_attendant"  # what to do while waiting for the 15
BLACKMAIL_KINDS = {"harassment"}  # where "jdois payer ?" means paying the one who threatens
BLACKMAIL_ANSWER = "numero_3018"  # "ne paie pas", keep the proof, report
PAYING = re.compile(r"\b(?:payer|paye|paie|pay|lui donner|leur donner|l argent|les sous|la thune)\b")
OTHER_NEED = (
    0.2  # a concern the classifier sees this surely in a message of danger is offered after the lines
)
# in crisis mode, a new kind only the danger model sees, this unsure, is listened to, not a new block: after
# an overdose, "jsuis seule chez moi" (the model: a threat, 0.36) is where the youth is, not a second danger
NEW_KIND_IN_CRISIS = 0.5
CHECK_WHEN_LAUGHING = {"suicide"}  # said laughing, only this: the direct question rather than the whole block
# a concern said in crisis mode takes the youth out of it only when asked for ("jcherche un foyer"), not when
# told ("jsuis seule chez moi" after an overdose: where they are, not a request for housing)
REQUEST = re.compile(
    r"\b(?:je cherche|jcherche|cherche|je veux|jveux|jvx|je voudrais|jvoudrais|j aimerais|jaimerais|"
    r"besoin|il me faut|faut que je trouve|trouver|aide pour|i need|i want|looking for|help me find)\b"
)
# "c le 17 ou le 15 ?", "j'appelle qui ?", "c quoi le numéro ?": which line, during a danger
WHICH_NUMBER = re.compile(
    r"\b(?:15|17|112|115|119|3114|3919|3018)\b.{0,12}\b(?:ou|or)\b.{0,6}\b(?:15|17|112|115|119|3114|3919|3018)\b|"
    r"\b(?:quel|c quoi le|cest quoi le|c est quoi le|le) (?:numero|num|tel)\b|"
    r"\b(?:j appelle|japelle|jappelle|appeler|on appelle) qui\b|"
    r"\bqui (?:j appelle|jappelle|appeler)\b|\bwhat number\b|\bwho (?:do i|should i) call\b"
)
# to "do you think of dying?": neither yes nor no; the question stays open, crisis mode goes on
AVOIDED = re.compile(
    r"^\W*(?:nan |non |nn |bah |ben |euh )?(?:tkt |t inquiete |t inquiete pas |tinquiete |pas grave )?"
    r"(?:laisse tomber|laisse|oublie|osef|balek|c rien|cest rien|c est rien|"
    r"jsp|je sais pas|jsais pas|sais pas|j sais pas|peut etre|ptet|ptetre|bof|idk|maybe|i don t know|dunno|"
    r"chais pas|jcp|je c pas|(?:jveux|je veux|veux|jvx) pas (?:appeler|en parler|parler|repondre))\b"
)
# "personne va me croire", "c'est ma faute", "j'ai trop honte": what a victim fears; the first words to say
DOUBT = re.compile(
    r"\b(?:personne|on|ils|elles|elle|il|ma mere|mon pere|mes parents|la police)\b.{0,14}\b(?:me |m )?"
    r"cro(?:ire|it|ira|iront|ient|irait|iraient)\b|\b(?:c est|cest|c) (?:de )?ma faute\b|\bmy fault\b|"
    r"\b(?:j ai|jai|g) (?:trop |tellement |grave |tro )?(?:honte|la honte)\b|"
    r"\b(?:nobody|no one) (?:will )?believes?\b|"
    r"\b(?:jsuis|je suis|chui) parano\b|\b(?:j exagere|jexagere|j abuse)\b|\bi m overreacting\b"
)
# "jfais quoi", "what do I do": right after a danger, the line that fits, to be told what to do
WHAT_NOW = re.compile(
    r"^\W*(?:et |mais |bon |du coup |donc |wsh |frr )*"
    r"(?:je fais quoi|jfais quoi|jfai quoi|j fais quoi|je dois faire quoi|jdois faire quoi|"
    r"qu est ce que je fais|quest ce que je fais|qu est ce que je dois faire|je fais comment|"
    r"jfais comment|on fait quoi|what do i do|what should i do)\b(?!.{12,})"
)
# "mes parents vont me tuer s'ils savent", "ma mère doit pas savoir": the fear of them knowing, after a danger
PARENTS_KNOWING = re.compile(
    r"\b(?:mes parents|mes darons|mes rents|ma mere|ma daronne|ma reum|mon pere|mon daron|ma famille|"
    r"my parents|my mum|my mom|my dad)\b.{0,40}\b"
    r"(?:(?:doi(?:t|vent)|faut) pas (?:qu (?:ils|elle|il) )?sav\w*|"
    r"sauront|vont (?:le )?savoir|va (?:le )?savoir|s (?:ils|il|elle) (?:le )?sa(?:vent|it|vait|vaient)|"
    r"sils (?:le )?savent|si (?:ils|elle|il) (?:l )?apprennent|find out|know|sa(?:che|chent))\b|"
    r"\bsans qu (?:il|elle|ils|elles) (?:le )?sa(?:che|chent)\b|"
    r"\b(?:dire|dira|diront|previen\w*|appele\w*) (?:a |aux )?(?:mes parents|ma mere|mon pere|mes darons)\b"
)
# "c anonyme ?", "ça reste secret ?" right after the lines
SECRET_ASKED = re.compile(
    r"\b(?:anonymes?|confidentiel\w*|secrets?|anonymous|confidential|facture|releve|historique|bill|"
    r"s affiche\w*|saffiche\w*|apparait|apparaitre|savoir que c est moi|know it s me)\b"
)
COST_ASKED = re.compile(r"\b(?:gratuit|payant|free|ca coute|combien ca coute)\b")  # of a line: short or named
# "et si jveux pas appeler ?", "jpeux pas parler au tel": a way to write instead
NOT_CALLING = re.compile(
    r"\b(?:jveux|je veux|veux|jvx|j ai pas envie d|jai pas envie d|jpeux|je peux|peux|jose|j ose|ose)"
    r" pas (?:appeler|appeller|telephoner|parler au (?:tel|telephone))\b|"
    r"\bpas (?:a l aise|alaise|bien) (?:au|avec le) (?:tel|telephone)\b|"
    r"\b(?:j aime|jaime|jkiffe) pas (?:appeler|telephoner|le tel)\b|"
    r"\b(?:trop )?peur d appeler\b|\bpas au tel\b|\b(?:prefere|plutot|prefer) (?:ecrire|texter|write|text)\b|"
    r"\b(?:ya|y a|il y a|yaurait|y aurait) (?:un |pas un )?(?:t?chat|tchat|truc par ecrit|moyen d ecrire)\b|"
    r"\bpar (?:ecrit|sms|message)\b|"
    r"\b(?:don t|dont|can t|cant) (?:want to )?(?:call|phone)\b|\b(?:peux|jpeux|je peux|j peux) pas parler\b|"
    r"\b(?:peux|jpeux|je peux|on peut|peut on|puis je|can i|could i) (?:leur |lui |vous )?"
    r"(?:ecrire|tchatter|chatter|write|text)\b|"
    r"\b(?:ya|y a|il y a|is there) (?:un |a )?(?:t?chat|chat)\b"
)
# "c grave ?", "je peux attendre mercredi ?", "faut que j'aille aux urgences ?" after an emergency or assault
IS_IT_SERIOUS = re.compile(
    r"\b(?:c|c est|cest|est ce que c est|c etait|ca a l air) (?:grave|serieux|dangereux)\b|"
    r"\b(?:je peux|jpeux|on peut|peut on|elle peut|il peut)(?: pas)?(?: juste)? attendre\b|"
    r"\b(?:j attends|jattends|je vais attendre|jvais attendre|i ll wait)\b|"
    r"\b(?:jme sens|je me sens|j me sens|i feel) (?:bien|mieux|fine|ok|okay)\b|"
    r"\b(?:faut|dois|doit) (?:que j aille |qu on aille |qu elle aille |qu il aille |aller |y aller )?"
    r"aux urgences\b|"
    r"\bis (?:it|this) (?:serious|bad|dangerous)\b|\bcan (?:i|we|she|he) wait\b|\bshould (?:i|we) go to\b"
)
# "peut-être qu'ils ont raison" after being harassed (told to die): agreeing with them is a sign
AGREES_WITH_THEM = re.compile(
    r"\b(?:qu ?)?(?:ils|elles) (?:ont )?(?:raison|pas tort)\b|\b(?:they re|they are) right\b|"
    r"\b(?:ils|elles) disent (?:la verite|vrai)\b"
)
# "do they speak english at 3114?", "ils parlent arabe ?": the language a line answers in
LANGUAGE_ASKED = re.compile(
    r"\b(?:speak|speaks|talk in|parle|parlent|parlez) (?:english|anglais|arabe|arabic|espagnol|spanish)\b|"
    r"\bin english\b|\ben anglais\b|\benglish (?:helpline|line|number|speaking)\b|"
    r"\b(?:i|je) (?:don t|dont|do not|can t|cant|parle pas|peux pas parler) "
    r"(?:speak |talk in |bien |le )?(?:french|francais)\b|"
    r"\bmy french is\b"
)
# "jai plus de forfait", "no credit?": the emergency lines are free (answers/ecrire_sans_appeler)
NO_CREDIT = re.compile(
    r"\b(?:pas de|plus de|sans|0|zero|no|without|out of) (?:credit|credits|forfait|unites|balance|minutes)\b"
)
# afraid that calling the SAMU brings the police (a friend who drank or took something)
POLICE_FEAR = re.compile(
    r"\b(?:peur|flippe|flipper|stress)\b.{0,20}\b(?:police|flics|keufs|condes|schmitts)\b|"
    r"\b(?:police|flics|keufs|condes|schmitts)\b.{0,20}"
    r"\b(?:vont venir|va venir|debarque\w*|arreter|embarquer)\b|"
    r"\b(?:on|il|elle|je|jvais|on va) (?:va )?(?:avoir|aura) des (?:problemes|embrouilles|ennuis)\b|"
    r"\bafraid (?:of )?(?:the )?(?:police|cops)\b|"
    r"\b(?:samu|15|pompiers|hopital|urgences|ils)\b.{0,20}"
    r"\b(?:appelle\w*|previen\w*|prevenir|appeler|ramene\w*) "
    r"(?:la police|les flics|les keufs|les condes)\b"
)
# "il vient de rentrer dans sa chambre", "elle va le faire maintenant": the danger is happening now
HAPPENING_NOW = re.compile(
    r"\b(?:il|elle|ils|he|she|they) (?:vient|viennent|just) (?:de )?"
    r"(?:rentrer|entrer|arriver|fermer|casser|frapper|taper|sortir un couteau|prendre un couteau|"
    r"came|walked)\b|"
    r"\b(?:jsuis|je suis|chui|j suis|i m|im) (?:au bord|sur le (?:toit|rebord|pont|parapet|balcon)|"
    r"on the (?:edge|roof|ledge|bridge))\b|\bau bord la\b|\badieu\b|\bgoodbye\b|"
    r"\b(?:il|elle|ils) (?:est|sont) (?:la|devant (?:la|ma|sa) porte|derriere (?:la|ma|sa) porte|"
    r"dans (?:ma|sa) chambre|"
    r"en bas)\b(?! (?:depuis|pour) )|"
    r"\b(?:va|vont|veut) (?:le faire|se tuer|se jeter|sauter|me tuer|me frapper)\b.{0,25}"
    r"\b(?:maintenant|mtn|tout de suite|"
    r"right now|now)\b|\bca recommence\b|\b(?:he s|she s|they re) (?:here|coming|outside)\b"
)
# "c pas moi c'est elle": the danger told is a friend's
ABOUT_THEM = re.compile(
    r"\b(?:c est|c|cest|ce n est|ce nest) pas (?:moi|pour moi)\W+(?:c est|c|cest) "
    r"(?:elle|lui|ma pote|mon pote|mon ami|mon amie|ma soeur|mon frere|ma copine|mon copain|ma cousine|"
    r"mon cousin)\b|"
    r"\bnot me\W+(?:it s|its) (?:her|him|my)\b"
)
# "jpeux aller aux urgences direct pour ça ?" after thoughts of suicide
TO_THE_ER = re.compile(
    r"\b(?:peux|jpeux|je peux|on peut|can i|should i|je vais|jvais|j y vais|jy vais) "
    r"(?:aller |go )?(?:direct(?:ement)? )?"
    r"(?:aux urgences|a l hopital|to the er|to the hospital|to a&e)\b"
)
# "dois-je appeler la police ?" during a threat or violence: yes, the 17
POLICE_ASKED = re.compile(
    r"\b(?:dois je|je dois|jdois|faut il|faut|should i|est ce que j|je peux|jpeux|j) ?"
    r"(?:appeler|appelle|call) "
    r"(?:la police|les flics|les keufs|le 17|the police|the cops)\b"
)
# "il est ouvert le dimanche ?", "c 24h/24 ?" about a line shown: its hours
LINE_HOURS_ASKED = re.compile(
    r"\b(?:ouvert|ouverte|open|ferme|fermee|closed|horaires?|hours|24h|24 24|24 7)\b"
)
# "le 115 répond pas", "ça sonne dans le vide": a line shown does not answer
LINE_UNANSWERED = re.compile(
    r"\b(?:repond|reponde|reponds|repondent|decroche|decrochent|decrochait) (?:pas|jamais|toujours pas)\b|"
    r"\bpersonne (?:ne )?(?:repond|decroche)\b|\bsonne (?:dans le vide|occupe|sans arret|pour rien)\b|"
    r"\b(?:c est|cest|c|toujours|tjrs|tout le temps) occupe\b|\b(?:ca|sa) (?:coupe|raccroche)\b|"
    r"\b(?:no one|nobody|noone) (?:answers|is answering|picks up)\b|"
    r"\b(?:they|it) (?:don t|dont|doesn t|doesnt) (?:answer|pick up)\b"
)
# "jsuis grave dans la merde jsais pas quoi faire" after a danger: lost, not a question about careers
LOST = re.compile(
    r"\b(?:je sais pas|jsais pas|jsp|sais pas|jcp|chais pas|je c pas) "
    r"(?:quoi faire|comment faire|quoi dire)\b|"
    r"\b(?:dans la merde|dans la galere|perdue?)\b|\bi don t know what to do\b"
)
# "jai deja les medocs", "the rope is ready": the means at hand, after thoughts of suicide
MEANS_AT_HAND = re.compile(
    r"\b(?:j ai|jai|g|je les ai) (?:deja |tout |meme )?(?:les|des|mes|ma|la|une) ?"
    r"(?:medocs|medicaments|cachets|pilules|comprimes|lames?|corde|flingue|arme|boite)\b|"
    r"\b(?:i have|i got|got) (?:the |my |some )?(?:pills|rope|blade|gun)\b|"
    r"\b(?:j ai|jai|g) (?:deja |tout )?(?:prevu|planifie|decide)\b|\bi (?:have|ve got|got) a plan\b|"
    r"\b(?:c est|cest|c) (?:pour )?ce soir\b|\bi m ready\b|\bim ready\b"
)
MEANS_KINDS = {"suicide", "hopelessness", "self_harm"}
# when a sexual assault happened, told as recent: the first hours still count
# told in the past: not a threat or a grooming ("il veut que je vienne ce soir")
ASSAULT_HAPPENED = re.compile(
    r"\b(?:m a|m ont|ma|mont|on m a|il m a|ils m ont) (?:viole\w*|agresse\w*|touche\w*|force\w*|abuse\w*|"
    r"deshabille\w*|pris de force|fait des choses)\b|"
    r"\b(?:je me|jme|j me|me) suis fait (?:violer|agresser|toucher|abuser|forcer)\b|"
    r"\b(?:j ai|jai|g) (?:ete|subi) |\bs est passe\b|\b(?:violee?|agressee?|abusee?)\b|"
    r"\b(?:i was|i got) (?:raped|assaulted|drugged)\b|\b(?:he|they) (?:raped|assaulted|forced)\b"
)
RECENTLY = re.compile(
    r"\b(?:hier|cette nuit|ce matin|ce soir|tout a l heure|ce week end|ce weekend|samedi|dimanche|vendredi|"
    r"(?:a|en) (?:une |la )?soiree|last night|yesterday|this morning|tonight|at a party)\b"
)
# "jsuis pas une balance", "pas les flics": after a threat, help without the police is offered
NO_POLICE = re.compile(
    r"\b(?:pas une balance|je balance pas|jbalance pas|pas balancer|"
    r"(?:pas|jamais) (?:la police|les flics|les keufs|les condes|les schmitts)|"
    r"(?:veux|jveux|peux|jpeux) pas (?:appeler|aller voir|aller a) (?:la police|les flics|les keufs)|"
    r"(?:veux|jveux|je veux) pas porter plainte|"
    r"(?:fais|fait|ai|jai|j ai) (?:pas|aucune|plus) confiance "
    r"(?:a la|aux|en la|dans la|a|en) (?:police|flics|keufs|condes|schmitts)|"
    r"(?:les )?(?:keufs|flics|condes|schmitts) (?:jleur|je leur|j leur) fais pas confiance|"
    r"(?:les )?(?:keufs|flics|condes|la police) (?:servent a rien|font rien|feront rien|m aideront pas))\b"
)
# a yes in words to "est-ce que tu penses à mourir ?" ("ouais souvent le soir", "des fois", "un peu");
# thoughts told in so many words are a yes even after a "non mais" (when in doubt, the fuller help)
CHECK_YES = re.compile(
    r"^\W*(?:(?:bof|ben|bah|beh|euh|hmm+|wsh|wesh|frr|genre|jsp|en vrai|franchement),? )?"
    r"(?:oui|ouais|ouai|wai|ouep|oe|yes|yeah|yep|grave|carrement|un peu|parfois|des fois|souvent|"
    r"tout le temps|h24|sometimes|often|kinda|i do)\b"
)
CHECK_YES_WORDS = 8  # in the first clause: "ouais souvent le soir"; not "ya d'autres aides pour le permis ?"
THOUGHTS_TOLD = re.compile(
    r"\b(?:j y pense|jy pense|j y pensais|jy pensais|je pense a mourir|jpense a mourir|"
    r"je pense a (?:me tuer|me suicider|me faire du mal)|i think about (?:it|dying|killing myself))\b"
)
# "jsuis pas en danger", "c'était une blague": out of crisis mode, the lines stay
RETRACTED = re.compile(  # "c'était une expression", "jrigole": a hyperbole taken back
    r"\b(?:c etait|cetait|c est|cest|c) (?:une |juste une |un |juste un |des |les )?"
    r"(?:blague|vanne|expression|facon de parler|chanson|son|paroles|titre|film|serie|jeu)\b|"
    r"\b(?:it s|its|it was) (?:a |just a )?(?:song|joke|game|movie)\b|"
    r"\b(?:je|j) (?:rigolais|rigole|deconnais|deconne)\b|\bjrigol\w*\b|\bjdeconn\w*\b|"
    r"\b(?:just )?(?:kidding|joking)\b|\bfigure of speech\b|\b(?:jdisais|je disais|j disais) ca comme ca\b"
)
NOT_IN_DANGER = re.compile(
    r"\b(?:je suis|jsuis|chui|j suis|je ne suis|jss) (?:pas|plus) en danger\b|\bpas du tout en danger\b|"
    r"\b(?:i m|im|i am) not in danger\b|" + RETRACTED.pattern
)
# "c'est de moi que je parle": the danger told was the youth's own, not a friend's
ABOUT_ME = re.compile(
    r"\b(?:c est|cest|c) (?:de moi|moi|pour moi)\b(?!.{0,10}\b(?:pas|non)\b.{0,5}\bmoi\b)|"
    r"\bje parle de moi\b|"
    r"\bjparle de moi\b|\b(?:i m|im) talking about (?:me|myself)\b|\bit s (?:about )?me\b"
)
# "donc jappelle ou pas ??", "faut appeler qui ?": which line, now
SHOULD_CALL = re.compile(
    r"(?<!si )\b(?:j appelle|jappelle|j apelle|japelle|je dois appeler|jdois appeler|faut (?:que j )?appeler)"
    r"(?: (?:ou pas|qui|quel numero|le \d+|les pompiers|maintenant|la maintenant))*\W*$|"
    r"\b(?:should i call|do i call|who do i call)\b"
)
LAUGHTER = re.compile(
    r"\b(?:mdr+|ptdr+|lol+|mdrr+|xptdr|jpp|haha+|hahaha+|hihi+|lmao|lmfao)\b|😂|🤣|😹|😆|😅"
)

# In crisis mode, what takes the youth out of it (with a clear concern): a button, or a request.
ASKS_SOMETHING = (
    "ask_human",
    "ask_this",
    FAQ,
    "village",
    "village_scene",
    "more",
    "forget_me",
    "menu",
    "town_other",
    INFORM,
)


def first_clause(folded: str) -> list[str]:
    """The words before the first full stop, question mark or "mais": "bof ouais un peu. mais jveux pas
    appeler, jveux voir qqn en vrai" answers the direct question in its first three words."""
    return re.split(r"[.!?;]| mais ", folded, maxsplit=1)[0].split()


def typed_check_answer(state: State, turn: Turn) -> Turn:
    """A typed yes or no takes the buttons' path: to "est-ce que tu penses à mourir ?", and to "tu veux
    que je te mette en lien avec quelqu'un ?" (yes: the first button, someone now; no: later). A question
    ("c grave ?") is not a yes; "laisse tomber", "jsp" to the direct question is not a no."""
    if turn.intent in ("affirm", "deny") and "?" in turn.text and len(turn.text.split()) >= 2:
        return turn
    folded = fold(turn.text)
    if state.step == CRISIS_CHECK and (
        THOUGHTS_TOLD.search(folded)
        or (
            CHECK_YES.search(folded)
            and turn.intent != "deny"
            and len(first_clause(folded)) <= CHECK_YES_WORDS
        )
    ):
        return replace(turn, intent="crisis_yes")
    if state.step == CRISIS_CHECK and NOT_IN_DANGER.search(folded):  # not after a danger told plainly
        return replace(turn, intent="crisis_no")
    if state.step == CRISIS_CHECK and (AVOIDED.search(folded) or turn.intent == "explore"):
        return replace(turn, intent="crisis_avoided")
    if state.step == CRISIS_CHECK and turn.intent in ("affirm", "deny"):
        return replace(turn, intent="crisis_yes" if turn.intent == "affirm" else "crisis_no")
    if state.step == CRISIS and state.crisis_active and turn.intent in ("affirm", "deny"):
        return replace(turn, intent="crisis_listening" if turn.intent == "affirm" else "crisis_later")
    if state.crisis_active and turn.intent == "ask_human" and not waiting(state):
        # in crisis mode, asking for a person is the "Le point écoute" button (an urgent question); an unsure
        # guess ("personne le sait": no one knows) is listened to, not a question to put
        sure = turn.confidence >= ASK_HUMAN_SURE
        return replace(turn, intent="crisis_listening" if sure else "nlu_fallback")
    return turn


def danger(ctx: Context, state: State, turn: Turn, now: datetime) -> Reply | None:
    """Helplines first, no question before them."""
    if turn.intent != "crisis":
        return None
    paying = BLACKMAIL_KINDS & set(state.crisis_kinds) and PAYING.search(fold(turn.text))
    if state.crisis_active and (paying or set(turn.values("crisis_kind")) <= set(state.crisis_kinds)):
        # the same danger, and something said about it ("jpeux pas appeler ils vont m'entendre"; paying a
        # blackmailer, whatever else it reads as): answered, not the lines once more; a new kind of danger
        # gets its lines
        followed = about_the_danger(ctx, state, turn, now)
        if followed:
            return followed
    if state.crisis_active and turn.confidence < NEW_KIND_IN_CRISIS and only_the_model(turn):
        return None
    if just_after_danger(state) and only_the_model(turn) and doubting(state, turn):
        return believed(ctx, state)  # "jai peur que personne me croit": words for that, not the lines again
    if state.crisis and means_at_hand(state, turn):  # "jai deja les medocs": what to do now, not a reminder
        return with_a_person(ctx, "crisis_means_now")
    first_contact = state.step == NEW
    take_answers(ctx, state, turn)  # "jai 23 ans": no line for minors; "jsuis a fontenay": their places
    kinds = [str(kind) for kind in turn.values("crisis_kind")]
    if laughing(turn.text) and set(kinds) <= CHECK_WHEN_LAUGHING:
        kinds = [ctx.r.crisis.unnamed]  # "mdr jvais me tuer jai raté mon bus": 3114, and ask directly
    about_other = "other" in turn.values("crisis_about")
    reply = during_handoff(ctx, state, ctx.crisis_path.first(state, kinds, about_other, waiting(state)))
    if first_contact:  # what is kept, after the helplines
        url = ctx.r.public_url.rstrip("/")
        privacy = Outgoing(ctx.t("privacy", url=url, days=ctx.r.transcript_days))
        reply.messages.insert(len(reply.messages) - 1, privacy)  # the choice stays the last bubble
    if not waiting(state):  # a question asked with it, that the knowledge base answers for this danger
        asked = answers.in_danger(ctx, state, turn, set(ctx.r.crisis.answers_for(kinds)))
        reply.messages[-1:-1] = asked or first_hours(ctx, state, turn, kinds)
    told = needs_told(ctx, turn)
    if state.step == CRISIS_CHECK:  # "no" to "do you think of dying?": then what the message asked for
        state.extra["pending_concerns"] = [c for c in told if c != "wellbeing"]
    place = to_a_place(ctx, state, turn, kinds, now)
    if place:  # instead of the offer of a person: the way to a place nearby
        reply.messages[-1:] = place
    elif not waiting(state):
        reply.messages += other_needs(ctx, told, kinds)
    return reply


def other_needs(ctx: Context, concerns: list[str], kinds: list[str]) -> list[Outgoing]:
    """Thrown out and needing a job: after the lines, the other needs the message told, as buttons for
    when the youth is ready (not after suicide, self-harm or a medical emergency: a person first; not the
    danger's own concern, "besoin de parler" after a harassment, whose places come with the town)."""
    own = {kind.concern for kind in ctx.r.crisis.ordered(kinds)}  # the danger's own places come anyway
    concerns = [c for c in concerns if c not in own]
    if not concerns or set(kinds) & PERSON_FIRST:
        return []
    language = ctx.t.language
    labels = ", ".join(ctx.r.concerns[c].label_in(language).lower() for c in concerns)
    buttons = tuple(Button(ctx.r.concerns[c].label_in(language), f"concern:{c}") for c in concerns[:3])
    return [Outgoing(ctx.t("crisis_other_needs", concerns=labels), buttons=buttons)]


def needs_told(ctx: Context, turn: Turn) -> list[str]:
    """The concerns a message of danger also tells ("jveux un taf mais..."), surest first."""
    said = [str(c) for c in turn.values("concern")]
    said += [r["name"] for r in turn.ranking[:3] if r["confidence"] >= OTHER_NEED]
    return [c for c in dict.fromkeys(said) if c in ctx.r.concerns]


def only_the_model(turn: Turn) -> bool:
    """No danger phrase in the message: its kind is the danger model's guess."""
    return all(e.get("extractor") == DANGER_EXTRACTOR for e in turn.entities if e["entity"] == "crisis_kind")


def asks(text: str) -> bool:
    folded = fold(text)
    return is_question(folded) or REQUEST.search(folded) is not None


def laughing(text: str) -> bool:
    return LAUGHTER.search(fold(text)) is not None


def to_a_place(ctx: Context, state: State, turn: Turn, kinds: list[str], now: datetime) -> list[Outgoing]:
    """A danger a place nearby answers too, asked for in so many words (the emergency pill, not a panic):
    after the lines, that place instead of a crisis mode: the town if unknown, then the services
    (outside the network when it has none)."""
    needs = {kind.need for kind in ctx.r.crisis.ordered(kinds)}
    name = needs.pop() if len(needs) == 1 else None
    need = ctx.r.rules.specific_needs.get(name or "")
    if need is None or specific_said(ctx, turn) is not need or waiting(state):
        return []
    state.crisis_active = False
    state.concern, state.page, state.extra["need"] = need.concern, 0, need.name
    state.age_skipped = state.age_skipped or state.ages is None  # it is urgent: the town only
    return [Outgoing(ctx.t("crisis_place")), *advance(ctx, state, now)]


def follow_up(ctx: Context, state: State, turn: Turn, now: datetime) -> Reply | None:
    """The crisis buttons: yes/no to the check-in, later, or in touch at once (an urgent handoff)."""
    choice = turn.intent
    if not choice.startswith("crisis_"):
        return None
    if choice == "crisis_yes":
        return during_handoff(ctx, state, ctx.crisis_path.confirmed(state, waiting(state)))
    if choice == "crisis_no":  # thanks for answering, the lines stay, and what the youth asked for goes on
        state.crisis_active, state.step = False, CONCERN
        pending = [c for c in state.extra.get("pending_concerns", []) if c in ctx.r.concerns]
        asked_before = state.concern not in (None, "wellbeing")  # "jcherche un taf" before the danger
        said = "crisis_denied_then" if (pending and not state.concern) or asked_before else "crisis_denied"
        state.concern = state.concern or (pending[0] if pending else "wellbeing")
        return Reply([Outgoing(ctx.t(said)), *advance(ctx, state, now)])
    if choice == "crisis_avoided":
        state.step = CRISIS
        return Reply([Outgoing(ctx.t("crisis_check_avoided"), buttons=ctx.crisis_path.person_buttons()[:2])])
    if choice == "crisis_later":
        state.step = CONCERN
        return Reply([Outgoing(ctx.t("crisis_later"), buttons=(ctx.button("other"),))])
    if state.handoff_id is not None:
        return Reply(already_open(ctx, state))
    if choice == "crisis_listening":
        partner: str | None = ctx.r.rules.listening_partner
    else:
        partner = suggested_partner(ctx, state, now) or ctx.r.rules.listening_partner
    wanted, partner = partner, soonest_open(ctx, state, partner, now)
    state.handoff_partner = partner
    kinds = ctx.r.crisis.ordered(state.crisis_kinds)
    reply = open_handoff(ctx, state, None, urgent=True, now=now, crisis_kind=kinds[0].label)
    when = when_answered(ctx.partner_hours(partner or ""), now, ctx.t, ctx.r.zone)
    reply.messages = [Outgoing(ctx.t(choice, partner=ctx.partner_name(partner or ""), when=when))]
    if wanted and partner != wanted:  # the one asked for opens too late: say so, and who answers sooner
        later = when_answered(ctx.partner_hours(wanted), now, ctx.t, ctx.r.zone)
        said = ctx.t("crisis_sooner_partner", wanted=ctx.partner_name(wanted), when=later)
        reply.messages.insert(0, Outgoing(said))
    return reply


def soonest_open(ctx: Context, state: State, chosen: str | None, now: datetime) -> str | None:
    """An urgent question goes to the chosen partner if it opens within config.yml's
    `handoff.urgent_wait_hours`; else to the partner of routing.yml's `crisis_partners` covering the youth's
    town (any, when the town is not known) that opens first, so that a youth in danger on a Saturday
    afternoon is not told "mercredi"."""
    opening = opens_at(ctx, chosen, now) if chosen else None
    if chosen is None or opening is None or opening - now <= timedelta(hours=ctx.r.urgent_wait_hours):
        return chosen  # open now or soon (the listening point this afternoon), or its hours unknown
    crisis = ctx.r.rules.crisis_partners
    near = [
        s.partner_id
        for s in ctx.network()
        if s.partner_id in crisis and (not state.commune or ctx.covers(s, state))
    ]
    others = [(at, i, p) for i, p in enumerate(dict.fromkeys(near), 1) if (at := opens_at(ctx, p, now))]
    return min([(opening, 0, chosen), *others])[2]


def opens_at(ctx: Context, partner: str, now: datetime) -> datetime | None:
    """`now` if the partner is open, else its next opening (None: hours not known)."""
    status = opening_status(ctx.partner_hours(partner), now, ctx.r.zone)
    return now if status.open_now else status.next_opening


def listening(ctx: Context, state: State, turn: Turn, now: datetime) -> Reply | None:
    """In crisis mode, a message that asks for nothing gets listening, not a menu; a request ends it. Just
    after a danger (its town or age being asked), a victim's doubt and "jfais quoi" are still heard."""
    folded = fold(turn.text)
    if just_after_danger(state) and doubting(state, turn):
        return believed(ctx, state)  # "personne va me croire", even asked for the town
    close = ctx.near_the_danger(state)
    asks_what_now = WHICH_NUMBER.search(folded) or WHAT_NOW.search(folded) or LOST.search(folded)
    if (just_after_danger(state) or close) and asks_what_now:
        lines = ctx.crisis_path.which_number(state)  # "c le 17 ou le 15 ?", "jfais quoi": the line first
        if lines:
            return Reply(lines)
    if state.crisis and state.step == TOWN and told_not_town(ctx, turn):
        # "si jle dis ca va casser la famille" asked for the town after a danger: heard, not "ta ville ?"
        return Reply(ctx.crisis_path.listening(state, waiting(state)))
    if not state.crisis_active:
        if not_understood_near_the_danger(ctx, state, turn) or (close and AVOIDED.search(folded)):
            # "jveux pas porter plainte jle kiffe qd meme" once the places were shown: heard, not a menu
            return Reply(ctx.crisis_path.listening(state, False))
        return None
    if turn.intent == FAQ:  # "c gratuit ?", "c anonyme ?": answered (answers.py), and crisis mode goes on
        return None
    if turn.intent in ASKS_SOMETHING or (ctx.clear_concern(turn) and asks(turn.text)):
        state.crisis_active = False
        return None
    kinds = ctx.r.crisis.ordered(state.crisis_kinds)
    if state.step == CRISIS_CHECK and take_answers(ctx, state, turn) and only_answers(ctx, turn):
        # "jsuis a villiers jai 19 ans" instead of an answer to "do you think of dying?": kept, and the
        # question asked once more before any place (the places come after a "no")
        return Reply([Outgoing(ctx.t("crisis_check_again"), buttons=ctx.crisis_path.check_buttons())])
    if take_answers(ctx, state, turn) and not waiting(state) and not any(k.emergency for k in kinds):
        # "jsuis a fontenay": what they tell is for being helped near them: the places for this danger
        # (not a topic asked before it); after an emergency (an overdose, a threat) its lines again instead
        state.crisis_active = any(k.name in PERSON_FIRST for k in kinds)
        state.concern = ctx.r.crisis.concern_of(state.crisis_kinds) or state.concern or "wellbeing"
        state.age_skipped = state.age_skipped or state.ages is None  # no more questions than needed now
        near = [Outgoing(ctx.t("crisis_near_you"))] if state.commune else []  # not before "tu habites où ?"
        return Reply([*near, *advance(ctx, state, now)])
    return Reply(ctx.crisis_path.listening(state, state.handoff_id is not None))


def during_handoff(ctx: Context, state: State, answer: CrisisReply) -> Reply:
    """A danger while a question is open: the message joins it, and it becomes urgent, with the kind."""
    if not waiting(state):
        return Reply(answer.messages)
    escalate = None
    if state.step == CRISIS:
        state.step = HANDOFF  # the youth's next messages still join the open question
        if not state.handoff_urgent:
            state.handoff_urgent, escalate = True, ctx.r.crisis.label(answer.kind)
    return Reply(answer.messages, escalate=escalate, thread=True)


def told_not_town(ctx: Context, turn: Turn) -> bool:
    """A sentence that tells something, with no town in it (not a question, not a request)."""
    if turn.intent in ASKS_SOMETHING or asks(turn.text) or answers.names_a_place(turn):
        return False
    named = words(fold(turn.text))
    return len(named) >= 3 and a_sentence(named)


def just_after_danger(state: State) -> bool:
    """In crisis mode, or right after a danger while its town, age or direct question is being asked."""
    return state.crisis_active or (state.crisis and state.step in (TOWN, AGE, CRISIS, CRISIS_CHECK))


def doubting(state: State, turn: Turn) -> bool:
    """In a crisis of their own, the youth fears not being believed, or blames themself."""
    return DOUBT.search(fold(turn.text)) is not None and not state.extra.get(ABOUT_OTHER)


def believed(ctx: Context, state: State) -> Reply:
    if waiting(state):  # the adviser is the person
        return Reply([Outgoing(ctx.t("crisis_believed"))])
    return with_a_person(ctx, "crisis_believed")


def with_a_person(ctx: Context, key: str, **values: str) -> Reply:
    """A text, then the way to a person now (the listening point, an adviser)."""
    return Reply([Outgoing(ctx.t(key, **values), buttons=ctx.crisis_path.person_buttons()[:2])])


def about_the_danger(ctx: Context, state: State, turn: Turn, now: datetime) -> Reply | None:
    """Right after a danger, what the youth asks or says about it, before any card's detail ("jdois payer
    ?" is not the cost of the places just shown): a joke taken back, whose danger it is, the police, a
    line's hours, the danger happening now, the ER, "c grave ?", which line, paying a blackmailer (the
    3018's "ne paie pas"), the means at hand, the parents finding out, not calling, a line that does not
    answer or is closed, no credit, the language. First rule that fits, in this order."""
    if not ctx.near_the_danger(state) or turn.intent.startswith("crisis_"):
        return None
    folded = fold(turn.text)
    kinds = set(state.crisis_kinds)
    if RETRACTED.search(folded) and not turn.values("crisis_kind") and state.crisis_active:
        # "mdrrr c'était une blague tkt, ya du soutien en maths ?": believed; a request with it is served
        state.crisis_active, state.step = False, CONCERN
        if turn.intent in ASKS_SOMETHING or ctx.clear_concern(turn) or "?" in turn.text:
            return None
        return Reply([Outgoing(ctx.t("crisis_retracted"), buttons=(ctx.button("other"),))])
    if ABOUT_ME.search(folded) and state.extra.get(ABOUT_OTHER):  # told as a friend's, it is the youth's own
        told = list(state.crisis_kinds)
        state.crisis_kinds, state.crisis_lines, state.crisis_active = [], [], False
        return during_handoff(ctx, state, ctx.crisis_path.first(state, told, False, waiting(state)))
    asked = answers.follow_up_question(folded) or "?" in turn.text
    if ABOUT_THEM.search(folded) and not state.extra.get(ABOUT_OTHER):  # "c pas moi c elle": for the friend
        state.extra[ABOUT_OTHER] = True
        return Reply(ctx.crisis_path.which_number(state))
    if POLICE_ASKED.search(folded) and (POLICE_KINDS | {"addiction"}) & kinds:  # yes: the 17 now
        return Reply([ctx.crisis_path.happening_now(state, police=True)])
    if LINE_HOURS_ASKED.search(folded) and asked and state.crisis_lines:
        hours = ctx.crisis_path.line_hours(state, folded)
        if hours:
            return Reply([hours])
    if HAPPENING_NOW.search(folded):  # the danger is here now: the line that sends someone, the SMS 114
        return Reply(
            [replace(ctx.crisis_path.happening_now(state), buttons=ctx.crisis_path.person_buttons()[:2])]
        )
    if TO_THE_ER.search(folded) and MEANS_KINDS & kinds:  # yes, the ER takes it, day and night
        return with_a_person(ctx, "crisis_to_the_er")
    if "medical" in kinds and (POLICE_FEAR.search(folded) or NO_POLICE.search(folded)):
        # "jai peur que les keufs viennent" before calling for a friend: no sourced word on the police
        # coming (answers/urgence_en_attendant.yml), so the call first, then what to tell the 15
        found = ctx.r.answers.get(EMERGENCY_ANSWER)
        meanwhile = (
            danger_answer(ctx, state, EMERGENCY_ANSWER)
            if found and not answers.said_just_before(state, found)
            else None
        )
        return Reply([*ctx.crisis_path.emergency_again(state), *(meanwhile.messages if meanwhile else [])])
    if "harassment" in kinds and AGREES_WITH_THEM.search(folded):
        # the youth agrees with those who harass them: the 3114 and the direct question
        sign = ctx.crisis_path.first(state, [ctx.r.crisis.unnamed], False, waiting(state))
        return during_handoff(ctx, state, sign)
    if IS_IT_SERIOUS.search(folded) and asked:
        if "sexual_violence" in kinds:  # "je peux attendre mercredi ?": not for the treatment against HIV
            return with_a_person(ctx, "crisis_sexual_violence_tonight")
        emergency = ctx.crisis_path.emergency_again(state)
        if emergency:  # "c grave ?" after an overdose or a blow to the head
            return Reply(emergency)
    if SHOULD_CALL.search(folded) and asked and state.crisis_lines:
        return Reply(ctx.crisis_path.which_number(state))
    if PAYING.search(folded) and BLACKMAIL_KINDS & kinds:
        return danger_answer(ctx, state, BLACKMAIL_ANSWER) or Reply(answers.answer(ctx, state, turn, now))
    if means_at_hand(state, turn):  # "jai deja les medocs": now, not later
        return with_a_person(ctx, "crisis_means_now")
    if NO_POLICE.search(folded) and POLICE_KINDS & kinds:
        # a threat, a partner's or a parent's violence, and no police: someone to talk to, the 17 still there
        return with_a_person(ctx, "crisis_no_police")
    named_line = named_in(ctx.crisis_path.shown(state), folded)
    secret_asked = (
        SECRET_ASKED.search(folded) and (answers.follow_up_question(folded) or "?" in turn.text)
    ) or (COST_ASKED.search(folded) and (answers.follow_up_question(folded) or named_line))
    if (
        PARENTS_KNOWING.search(folded) or secret_asked
    ):  # what stays secret; the line's own facts; not their fault
        adult = state.ages is not None and state.ages[0] >= MAJORITY  # the answer speaks of minors' parents
        answer = None if adult else danger_answer(ctx, state, PARENTS_ANSWER)
        # a question gets the line's own facts; "mes parents vont me tuer s'ils savent" is heard first
        secret = ctx.crisis_path.secret_line(state, folded) if is_question(folded) else None
        if answer:  # after an overdose, "jveux pas que ma mere sache": the 15 first, then what stays secret
            return Reply([*ctx.crisis_path.emergency_again(state), *answer.messages])
        return Reply([secret]) if secret else believed(ctx, state)
    if NOT_CALLING.search(folded):  # "et si jveux pas appeler ?": writing instead (SMS 114, tchats)
        return danger_answer(ctx, state, WRITING_ANSWER)
    if LINE_UNANSWERED.search(folded) and state.crisis_lines:  # call again; the 115: tell the mission locale
        if "homeless" in kinds:
            return with_a_person(ctx, "crisis_line_unanswered_homeless")
        closed = ctx.crisis_path.closed_line(state, folded, now.astimezone(ctx.r.zone))
        if closed:  # the 3018 at midnight: not "call again", the lines open now
            return Reply([replace(closed, buttons=ctx.crisis_path.person_buttons()[:2])])
        unanswered = "3114" in state.crisis_lines and MEANS_KINDS & kinds  # 3114.fr: under 10 minutes
        return with_a_person(ctx, "crisis_line_unanswered_3114" if unanswered else "crisis_line_unanswered")
    if NO_CREDIT.search(folded) and state.crisis_lines:
        return with_a_person(ctx, "crisis_no_credit")
    if LANGUAGE_ASKED.search(folded) and state.crisis_lines:  # the 3114 in French; the 112 in English too
        named = named_in(ctx.crisis_path.shown(state), folded)
        if named and named.number != "3114":  # another line's languages are not known here: not promised
            return with_a_person(ctx, "crisis_line_language_unknown", number=named.number)
        return with_a_person(ctx, "crisis_line_language")
    return None


def not_understood_near_the_danger(ctx: Context, state: State, turn: Turn) -> bool:
    """A message not understood once the danger's places were shown (not a town or an age being asked)."""
    if turn.intent != "nlu_fallback" or waiting(state) or state.step in (TOWN, AGE):
        return False
    return not answers.names_a_place(turn) and ctx.near_the_danger(state)


def first_hours(ctx: Context, state: State, turn: Turn, kinds: list[str]) -> list[Outgoing]:
    """A sexual assault told as recent ("samedi à une soirée", "hier soir"), not asked about: what to do in
    the first hours (treatment against HIV within 48 h, emergency contraception, evidence), said at once."""
    folded = fold(turn.text)
    if "sexual_violence" not in kinds or not RECENTLY.search(folded) or not ASSAULT_HAPPENED.search(folded):
        return []
    found = ctx.r.answers.get(FIRST_HOURS_ANSWER)
    if found is None or answers.said_just_before(state, found):
        return []
    state.extra[LAST_ANSWER] = found.id
    return answers.sourced(ctx, found)


def means_at_hand(state: State, turn: Turn) -> bool:
    """After thoughts of suicide or self-harm, the youth says the means are there."""
    return bool(MEANS_KINDS & set(state.crisis_kinds)) and MEANS_AT_HAND.search(fold(turn.text)) is not None


def danger_answer(ctx: Context, state: State, answer_id: str) -> Reply | None:
    """An answer of data/answers/ the danger's kinds allow (data/crisis.yml), pointed to if just given."""
    allowed = ctx.r.crisis.answers_for(state.crisis_kinds)
    found = ctx.r.answers.get(answer_id) if answer_id in allowed else None
    if found is None:
        return None
    state.extra[LAST_ANSWER] = found.id  # said again if just said: in danger, pointing upwards is not enough
    return Reply(answers.sourced(ctx, found))


def waiting(state: State) -> bool:
    return state.handoff_id is not None
