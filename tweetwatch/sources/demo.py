"""The built-in demo stream: synthetic X API v2 filtered-stream lines.

`DemoSource` lets `tweetwatch` run with no credentials. It yields bytes shaped
exactly like the lines of the X API v2 filtered stream (one JSON object per line:
``{"data": {...}, "includes": {"users": [...], "tweets": [...]}, "matching_rules": [...]}``),
so they go through the same normalizer as real data.

**Everything here is synthetic.** Texts are assembled from templates and word lists
of generic election chatter; authors are invented accounts from a generated pool;
no real post is reproduced. Every tweet object (including retweeted, quoted and
replied-to originals in ``includes.tweets``) carries ``"source": "tweetwatch demo"``
so demo data cannot be mistaken for real data.

What the stream looks like:

* the tracked topics' keywords appear as plain words, ``#hashtags`` and ``@mentions``
  (when a keyword is a valid handle); some tweets mention two topics, some none
  (those carry a ``demo-sample`` matching rule, since every real stream line matches
  some rule);
* retweets (``RT @user: ...`` truncated to 140 characters, with the full original in
  ``includes.tweets``), quotes, replies, and occasional long ``note_tweet`` posts;
* mostly English, plus Spanish, French, German, Portuguese and Japanese; emoji
  including ZWJ sequences, skin tones and flags; ``https://t.co/...`` links;
* ``entities.hashtags`` / ``entities.mentions`` / ``entities.urls`` with ``start``/``end``
  offsets counted in code points (Python ``str`` indices), end exclusive;
* authors drawn from a pool of 3,000 invented users with Zipf-like activity;
* ``created_at`` = the injected clock at emission (UTC, millisecond precision) and
  19-digit snowflake-like ids that strictly increase;
* the rate follows slow sinusoids (lulls and swells) plus Poisson-spaced bursts in
  which one topic spikes for 10-40 s, often driven by one viral post being retweeted.
  The modulation is normalised so the long-run mean equals ``rate``.
"""

from __future__ import annotations

import base64
import math
import random
import re
import threading
import time
from bisect import bisect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate, combinations
from pathlib import Path
from typing import Any, ClassVar

import orjson

__all__ = ["DemoSource", "virtual_time_source", "write_lines"]

SOURCE_MARK = "tweetwatch demo"
SAMPLE_RULE_TAG = "demo-sample"

_TICK_S = 0.1
"""Pacing granularity: tweets are generated in batches, one sleep per tick."""
_SLEEP_SLICE_S = 0.1
"""Longest single sleep, so a stop request is noticed within this long."""
_MAX_LAG_S = 1.0
"""If the consumer falls further behind than this, the schedule skips ahead."""

_SNOWFLAKE_EPOCH_MS = 1288834974657
_MIN_ID = 10**18  # smallest 19-digit number
_N_USERS = 3000
_B64_TO_ALNUM = bytes.maketrans(b"+/", b"xQ")
"""t.co ids are 10 alphanumerics: base64 of random bytes with the two symbols replaced."""

# Burst model: bursts start at Poisson-spaced times, last 10-40 s and multiply the
# rate by 1 + (mult - 1) * sin(pi * phase), mult ~ U(2, 4).
_BURST_GAP_MEAN_S = 60.0
_BURST_DUR = (10.0, 40.0)
_BURST_MULT = (2.0, 4.0)
_BURST_FRACTION = (sum(_BURST_DUR) / 2) / (sum(_BURST_DUR) / 2 + _BURST_GAP_MEAN_S)
_RATE_NORM = 1.0 + _BURST_FRACTION * (sum(_BURST_MULT) / 2 - 1.0) * (2.0 / math.pi)
"""Expected value of the modulation factor; the base rate is divided by it."""


def _words(s: str) -> tuple[str, ...]:
    return tuple(w.strip() for w in s.split("|") if w.strip())


# --------------------------------------------------------------------------- vocabulary

_EMOJI = _words(
    "🔥|😂|🤣|😬|🙄|👀|💯|🇺🇸|🗳️|📊|📉|📈|👏|👏🏽|👍🏾|🙏🏻|💪🏼|😡|🤔|😮|🥱|🎉|🚨|⚠️|✅|❌|"
    "🤦‍♂️|🤦‍♀️|🤷‍♂️|🤷‍♀️|🙋‍♀️|👨‍👩‍👧‍👦|🏳️‍🌈|👩‍⚖️|🧑‍💼|😮‍💨|❤️‍🔥|👁️‍🗨️|🧑‍🤝‍🧑|🇲🇽|🇧🇷|🇫🇷|🇩🇪|🇯🇵"
)

_EN_NOUNS = _words(
    "debate|rally|polls|economy|inflation|jobs|border|healthcare|taxes|tariffs|immigration|"
    "election|campaign|ballots|primary|caucus|convention|speech|interview|ads|fundraiser|"
    "endorsement|turnout|swing states|electoral college|senate|congress|supreme court|"
    "governor|running mate|cabinet|policy|budget|deficit|gas prices|housing|rent|wages|"
    "unions|factories|manufacturing|energy|climate|oil|student loans|social security|"
    "medicare|abortion|gun laws|crime|police|schools|teachers|veterans|military|"
    "foreign policy|trade|supply chains|small business|farmers|suburbs|rural voters|"
    "young voters|independents|latino voters|women voters|seniors|early voting|"
    "mail-in ballots|voter id|recount|exit polls|forecast|swing voters|gaffe|town hall|"
    "press conference|headline|op-ed|fact check|approval rating|favorability|momentum|"
    "ground game|war chest|donors|super pac|attack ad|talking points|transcript|livestream|"
    "moderator|stage|crowd|grocery prices|childcare|minimum wage|infrastructure|broadband|"
    "pipelines|steel|auto workers|chips act|fentanyl|asylum|national debt|interest rates|"
    "the fed|mortgage rates|tax cuts|spending bill|shutdown|filibuster|term limits|"
    "polling average|margin of error|absentee ballots|precincts|canvassing|phone banking|"
    "yard signs|bumper stickers|merch|podcast|late night show|cable news|press pool"
)
_EN_ADJ = _words(
    "huge|wild|boring|strong|weak|historic|brutal|awkward|solid|shaky|bold|desperate|"
    "confident|nervous|fired-up|massive|record|packed|half-empty|misleading|honest|tight|"
    "close|lopsided|surprising|predictable|chaotic|calm|heated|tense|fiery|rambling|sharp|"
    "clear|vague|weird|underrated|overrated|insane|painful|hilarious|cringe|refreshing|"
    "exhausting|disastrous|decent|impressive|forgettable|unhinged|measured|energetic|"
    "sleepy|loud|quiet|messy|polished|scripted|genuine"
)
_EN_VERBS = _words(
    "slams|praises|blasts|defends|promises to fix|rejects|dodges questions on|wins on|"
    "loses ground on|leads on|trails on|surges on|doubles down on|walks back comments on|"
    "attacks|targets|courts|pivots to|ignores|mocks|touts|unveils a plan for|pitches|"
    "flip-flops on|hammers|talks up|goes after|rambles about|is asked about|gets booed over|"
    "gets cheered for|releases an ad on|quietly changes position on|won't stop talking about"
)
_EN_PLACES = _words(
    "Ohio|Pennsylvania|Michigan|Wisconsin|Arizona|Georgia|Nevada|North Carolina|Florida|"
    "Texas|Iowa|New Hampshire|Minnesota|Virginia|Maine|Nebraska|Philadelphia|Pittsburgh|"
    "Detroit|Milwaukee|Phoenix|Atlanta|Las Vegas|Cleveland|Columbus|Scranton|Erie|Madison|"
    "Tampa|Miami|Houston|Des Moines|Manchester|Grand Rapids|Green Bay|Savannah|Charlotte|"
    "Raleigh|Reno|Tucson|Dayton|Cincinnati|Toledo|Allentown|Flint|Kenosha|Omaha|Bucks County|"
    "Maricopa County|Macomb County"
)
_EN_TIMES = _words(
    "tonight|today|this morning|last night|right now|this week|again|on Tuesday|"
    "before the debate|after the rally|all week|since Monday|at the town hall|on cable news|"
    "in the last hour|this weekend|yesterday|for the third time"
)
_EN_INTERJ = _words(
    "wow|lol|smh|unreal.|not surprised.|called it.|this is huge.|big if true.|yikes.|"
    "let's go!|no way.|I'm done.|thread below.|must watch.|hot take:|breaking:|just in:|"
    "update:|reminder:|fact check:|unpopular opinion:|can't make this up.|unbelievable.|"
    "so tired of this.|finally.|about time.|honestly?|ok but|listen,|real talk:|"
    "nobody is talking about this:|say what you want, but|welp.|oof."
)
_EN_HASHTAGS = _words(
    "Election2024|Debate|Vote|Polls|Economy|Breaking|Politics|VoteEarly|SwingStates|"
    "Inflation|Rally|Decision2024|ElectionNight|BallotBox|Democracy|TownHall|FactCheck|"
    "USPolitics|Campaign2024|GOTV|Midwest|Ohio|Pennsylvania"
)

_EN_TOPIC = (
    "{X} {K} {V} {N} in {P} {T}",
    "{K} {V} {N} at the rally in {P}",
    "Did anyone else watch {K} {T}? That answer on {N} was {A} {E}",
    "New poll: {K} up {M} in {P}. {X}",
    "New poll: {K} down {M} in {P} as {N} dominates",
    "{K} campaign says {N} is the number one issue in {P}",
    "Not sure why anyone is surprised that {K} {V} {N}",
    "The {N} question is going to hurt {K} in {P}",
    "{K} rally in {P} {T}: crowd was {A} {E}",
    "{K} ad about {N} is running nonstop here in {P}",
    "Hot take: {K} wins {P} if {N} stays the story",
    "{K} needs to talk about {N} more. {X}",
    "Watching {K} {T} and honestly {X}",
    "Why is {K} talking about {N} instead of {N}?",
    "{K} {V} {N} {E}",
    "Can {K} actually win {P}? The {N} numbers look {A}",
    "Breaking: {K} to hold a town hall in {P} {T}",
    "Everyone I know in {P} is worried about {N}, not {K}",
    "{K} supporters lined up for hours in {P} {E}",
    "If {K} keeps ignoring {N} it's over in {P}",
    "{K} on {N}: {A}. {X}",
    "That {K} interview on {N} was {A} {E}",
    "{K} just {V} {N} and the crowd went {A}",
    "Say what you want about {K} but the {N} plan is {A}",
    "{K} momentum in {P} is {A} right now {E}",
)
_EN_DUO = (
    "{K} vs {L} on {N}: who won? {E}",
    "{K} and {L} both dodged the {N} question {T}",
    "Poll in {P}: {K} {Q}%, {L} {R}%",
    "The {N} exchange between {K} and {L} was {A}",
    "Undecided between {K} and {L} in {P}. {X}",
    "{K} and {L} are tied in {P} and it all comes down to {N}",
)
_EN_GENERAL = (
    "{X} the {N} numbers in {P} look {A}",
    "Early voting lines in {P} are {A} {T} {E}",
    "Who else thinks {N} should be the top issue? {H}",
    "Nobody in {P} cares about {N}, it's all about {N} {E}",
    "{A} night for the {N} crowd. {X}",
    "Reminder: registration deadline in {P} is coming up {E}",
    "The media keeps covering {N} while {N} gets ignored",
    "Just voted in {P}! {E}",
    "{N} ads every five minutes here in {P} {E}",
    "The moderator should ask about {N} {T}",
    "My take on the {N} story: {A}, but {A}",
    "{N} and {N} are all anyone in {P} talks about",
    "Canvassing in {P} {T}. People are {A} about {N}",
    "Door knocking report from {P}: {N}, {N}, {N}",
)


@dataclass(frozen=True)
class _Lang:
    code: str
    topic: tuple[str, ...]
    duo: tuple[str, ...]
    general: tuple[str, ...]
    slots: dict[str, tuple[str, ...]]


_LANGS: tuple[tuple[_Lang, float], ...] = (
    (
        _Lang(
            "en",
            _EN_TOPIC,
            _EN_DUO,
            _EN_GENERAL,
            {
                "N": _EN_NOUNS,
                "A": _EN_ADJ,
                "V": _EN_VERBS,
                "P": _EN_PLACES,
                "T": _EN_TIMES,
                "X": _EN_INTERJ,
                "H": _EN_HASHTAGS,
            },
        ),
        0.76,
    ),
    (
        _Lang(
            "es",
            (
                "{K} habla de {N} en {P} {E}",
                "¿Alguien vio a {K} {T}? {A} {E}",
                "Encuesta: {K} sube {M} puntos en {P}",
                "{K} promete arreglar {N}",
                "Lo que dijo {K} sobre {N} no tiene sentido",
                "{K} en el debate: {A} {E}",
                "Mitin de {K} en {P} {T}, lleno total {E}",
            ),
            (
                "{K} contra {L}: ¿quién ganó el debate? {E}",
                "Entre {K} y {L}, no sé por quién votar",
                "{K} y {L} empatados en {P}",
            ),
            (
                "Las elecciones en {P} van a estar muy reñidas {E}",
                "Ya voté en {P} {E}",
                "Nadie habla de {N} {H}",
                "{N} y {N}, eso es lo que importa en {P}",
            ),
            {
                "N": _words(
                    "la economía|la inflación|la frontera|la vivienda|los impuestos|la salud|"
                    "el empleo|la gasolina|los alquileres|la inmigración"
                ),
                "A": _words("increíble|desastroso|aburrido|fuerte|flojo|tremendo|raro"),
                "P": _words("Arizona|Nevada|Florida|Texas|Pensilvania|Georgia|Carolina del Norte"),
                "T": _words("hoy|anoche|esta semana|otra vez|esta mañana"),
                "H": _words("Elecciones2024|EEUU|Debate|VotoLatino"),
            },
        ),
        0.08,
    ),
    (
        _Lang(
            "fr",
            (
                "{K} parle de {N} en {P} {E}",
                "Vous avez vu {K} {T} ? {A} {E}",
                "Sondage : {K} gagne {M} points en {P}",
                "{K} promet de régler {N}",
                "Le discours de {K} était {A}",
                "{K} et {N}, encore et toujours",
            ),
            (
                "Débat {K} contre {L} : qui a gagné ? {E}",
                "{K} ou {L}, franchement je ne sais pas",
            ),
            (
                "Cette campagne américaine, quel cirque {E}",
                "Personne ne parle de {N} {H}",
                "En {P}, tout se joue sur {N}",
            ),
            {
                "N": _words(
                    "l'économie|l'inflation|la frontière|le logement|les impôts|la santé|"
                    "l'emploi|le prix de l'essence"
                ),
                "A": _words("incroyable|désastreux|ennuyeux|solide|confus|percutant"),
                "P": _words("Pennsylvanie|Géorgie|Arizona|Michigan|Caroline du Nord|Floride"),
                "T": _words("ce soir|hier soir|aujourd'hui|encore une fois"),
                "H": _words("USA2024|ÉlectionsUS|Débat|Politique"),
            },
        ),
        0.04,
    ),
    (
        _Lang(
            "de",
            (
                "{K} spricht über {N} in {P} {E}",
                "Habt ihr {K} {T} gesehen? {A} {E}",
                "Umfrage: {K} legt in {P} um {M} Punkte zu",
                "Die Rede von {K} war {A}",
                "{K} und {N} – immer das gleiche Thema",
                "{K} verspricht Lösungen für {N}",
            ),
            (
                "{K} gegen {L}: Wer hat die Debatte gewonnen? {E}",
                "Zwischen {K} und {L} liegen in {P} nur wenige Punkte",
            ),
            (
                "Der US-Wahlkampf wird immer verrückter {E}",
                "Keiner redet über {N} {H}",
                "In {P} entscheidet am Ende {N}",
            ),
            {
                "N": _words(
                    "die Wirtschaft|die Inflation|die Grenze|die Mieten|die Steuern|"
                    "die Gesundheit|die Jobs|die Benzinpreise"
                ),
                "A": _words("unglaublich|katastrophal|langweilig|stark|schwach|seltsam"),
                "P": _words("Pennsylvania|Georgia|Arizona|Michigan|Wisconsin|Ohio"),
                "T": _words("heute|gestern Abend|diese Woche|schon wieder"),
                "H": _words("USWahl|Wahl2024|Debatte|USA"),
            },
        ),
        0.04,
    ),
    (
        _Lang(
            "pt",
            (
                "{K} fala sobre {N} em {P} {E}",
                "Alguém viu {K} {T}? {A} {E}",
                "Pesquisa: {K} cresce {M} pontos em {P}",
                "O discurso de {K} foi {A}",
                "{K} promete resolver {N}",
            ),
            (
                "{K} x {L}: quem ganhou o debate? {E}",
                "Entre {K} e {L}, difícil escolher",
            ),
            (
                "A campanha americana está cada vez mais estranha {E}",
                "Ninguém fala de {N} {H}",
                "Em {P} tudo depende de {N}",
            ),
            {
                "N": _words(
                    "a economia|a inflação|a fronteira|a moradia|os impostos|a saúde|"
                    "o emprego|o preço da gasolina"
                ),
                "A": _words("incrível|desastroso|chato|forte|fraco|estranho"),
                "P": _words("Pensilvânia|Geórgia|Arizona|Michigan|Flórida|Nevada"),
                "T": _words("hoje|ontem à noite|esta semana|de novo"),
                "H": _words("EleiçõesEUA|Debate|EUA2024"),
            },
        ),
        0.05,
    ),
    (
        _Lang(
            "ja",
            (
                "{K} の演説、{A} {E}",
                "{T}の {K} の討論、見た？",
                "{K} が{P}で支持を伸ばしているらしい",
                "{K} 、{N}について何も言わなかったね",
                "{K} の集会すごい人 {E}",
                "世論調査で {K} が{M}ポイント上昇",
            ),
            (
                "{K} 対 {L} の討論会、どっちが勝った？",
                "{K} と {L} 、{P}では接戦",
            ),
            (
                "アメリカ大統領選、目が離せない {E}",
                "{N}の話をもっとしてほしい",
                "{P}の情勢が気になる",
            ),
            {
                "N": _words("経済|物価|移民|税金|医療|雇用|ガソリン価格|住宅"),
                "A": _words("すごかった|ひどかった|退屈だった|力強かった|微妙だった"),
                "P": _words("オハイオ|ペンシルベニア|ミシガン|ジョージア|アリゾナ|ネバダ"),
                "T": _words("今日|昨夜|今週"),
                "H": _words("大統領選|アメリカ大統領選挙|米大統領選"),
            },
        ),
        0.03,
    ),
)

_FIRST_NAMES = _words(
    "Alex|Sam|Jordan|Taylor|Casey|Riley|Morgan|Jamie|Avery|Quinn|Drew|Robin|Chris|Pat|Lee|"
    "Dana|Jesse|Kim|Terry|Shawn|Maria|Jose|Ana|Luis|Sofia|Chloe|Lucas|Emma|Noah|Mia|Liam|"
    "Olivia|Ethan|Ava|Mason|Isabella|Hannah|Caleb|Grace|Owen|Zoe|Wyatt|Nora|Eli|Ruby|Gus|"
    "Marisol|Thiago|Camille|Lena|Jonas|Yuki|Haruto|Aiko|Beatriz|Rafael|Mathis|Greta"
)
_HANDLE_A = _words(
    "civic|prairie|maple|river|desert|coastal|midwest|lakeside|granite|peach|sunbelt|rustbelt|"
    "ballot|poll|swing|purple|county|precinct|porch|diner|corner|highway|steel|corn|cactus|"
    "harbor|valley|mesa|bayou|pine|aspen|cedar|quiet|loud|tired|caffeinated|nerdy|honest"
)
_HANDLE_B = _words(
    "voter|watcher|mom|dad|dude|nerd|junkie|owl|fox|hawk|bear|reader|news|takes|thoughts|"
    "wonk|skeptic|observer|grandma|teacher|nurse|farmer|trucker|student|vet|barista|coder|"
    "lawyer|pundit|insider|realist|optimist|pessimist"
)
_URL_DOMAINS = _words("example.com|example.org|example.net|news.example.com|blog.example.org")

_SLOT_RE = re.compile(r"\{([A-Z])\}")
_HANDLE_RE = re.compile(r"[A-Za-z0-9_]{1,15}")
_TAG_RE = re.compile(r"\w+")


# --------------------------------------------------------------------------- helpers

_LIT, _WORD, _KW, _TAG = 0, 1, 2, 3
_Token = tuple[int, Any]
"""(kind, payload): a literal string, a word list to draw from, a topic slot (0 or 1),
or a hashtag list."""
_Template = tuple[_Token, ...]

_NUMBER_SLOTS: dict[str, tuple[str, ...]] = {
    "M": tuple(str(i) for i in range(2, 13)),  # poll movement, points
    "Q": tuple(str(i) for i in range(44, 53)),  # leading share, %
    "R": tuple(str(i) for i in range(40, 49)),  # trailing share, %
    "E": _EMOJI,
}


def _compile(template: str, slots: dict[str, tuple[str, ...]]) -> _Template:
    tokens: list[_Token] = []
    for i, part in enumerate(_SLOT_RE.split(template)):
        if i % 2 == 0:
            if part:
                tokens.append((_LIT, part))
        elif part in ("K", "L"):
            tokens.append((_KW, 0 if part == "K" else 1))
        elif part == "H":
            tokens.append((_TAG, slots["H"]))
        else:
            tokens.append((_WORD, slots.get(part) or _NUMBER_SLOTS.get(part) or slots["N"]))
    return tuple(tokens)


@dataclass(frozen=True)
class _Keyword:
    words: tuple[str, ...]
    tags: tuple[str, ...]
    handle: dict[str, str] | None
    """User object for the keyword used as an @mention, if it is a valid handle."""
    p_mention: float
    """Probability of rendering as @handle; then up to `p_tag` as #tag; else a word."""
    p_tag: float


@dataclass(frozen=True)
class _LangTables:
    code: str
    by_kind: tuple[tuple[_Template, ...], tuple[_Template, ...], tuple[_Template, ...]]
    """Compiled templates for no topic, one topic, two topics."""
    hashtags: tuple[str, ...]


class _Text:
    """Builds a tweet text while recording entity offsets (code points)."""

    __slots__ = ("parts", "pos", "hashtags", "mentions", "urls", "users")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0
        self.hashtags: list[dict[str, Any]] = []
        self.mentions: list[dict[str, Any]] = []
        self.urls: list[dict[str, Any]] = []
        self.users: list[dict[str, str]] = []

    def add(self, s: str) -> None:
        self.parts.append(s)
        self.pos += len(s)

    def tag(self, tag: str) -> None:
        start = self.pos
        self.parts.append("#" + tag)
        self.pos = end = start + 1 + len(tag)
        self.hashtags.append({"start": start, "end": end, "tag": tag})

    def mention(self, user: dict[str, str]) -> None:
        start = self.pos
        name = user["username"]
        self.parts.append("@" + name)
        self.pos = end = start + 1 + len(name)
        self.mentions.append({"start": start, "end": end, "username": name, "id": user["id"]})
        self.users.append(user)

    def url(self, short: str, expanded: str, display: str) -> None:
        start = self.pos
        self.add(short)
        self.urls.append(
            {
                "start": start,
                "end": self.pos,
                "url": short,
                "expanded_url": expanded,
                "display_url": display,
            }
        )

    def text(self) -> str:
        return "".join(self.parts)

    def entities(self, cut: int | None = None) -> dict[str, list[dict[str, Any]]]:
        ent: dict[str, list[dict[str, Any]]] = {}
        if cut is None:
            if self.hashtags:
                ent["hashtags"] = self.hashtags
            if self.mentions:
                ent["mentions"] = self.mentions
            if self.urls:
                ent["urls"] = self.urls
            return ent
        for key, items in (
            ("hashtags", self.hashtags),
            ("mentions", self.mentions),
            ("urls", self.urls),
        ):
            kept = [e for e in items if e["end"] <= cut]
            if kept:
                ent[key] = kept
        return ent


def _iso(ms: int) -> str:
    sec, milli = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)) + f".{milli:03d}Z"


def _truncate(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` code points at a space, ending with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    if cut < limit // 2:
        cut = limit - 1
    return text[:cut] + "…"


_Item = tuple[dict[str, Any], dict[str, str], tuple[dict[str, str], ...]]
"""A stored original: (tweet data, author, users mentioned in it)."""


# --------------------------------------------------------------------------- generator


class _Generator:
    """Produces one serialized stream line at a time; all randomness from one RNG."""

    def __init__(self, topics: Sequence[tuple[str, Sequence[str]]], rng: random.Random) -> None:
        self.rng = rng
        self.rnd = rng.random
        self.topics: list[tuple[str, tuple[str, ...]]] = []
        for name, kws in topics:
            stripped = tuple(k.strip() for k in kws if k and k.strip()) or (name,)
            self.topics.append((name, stripped))
        all_kws = [k for _, kws in self.topics for k in kws]
        pattern = (
            re.compile(
                r"(?<!\w)(?:" + "|".join(re.escape(k) for k in all_kws) + r")(?!\w)",
                re.IGNORECASE,
            )
            if all_kws
            else None
        )

        def clean(items: tuple[str, ...], fallback: tuple[str, ...]) -> tuple[str, ...]:
            """Drop vocabulary that would accidentally match a tracked keyword."""
            if pattern is None:
                return items
            return tuple(t for t in items if not pattern.search(t)) or fallback

        # Languages: compiled templates over keyword-free vocabulary.
        self.langs: list[_LangTables] = []
        lang_weights: list[float] = []
        for lang, weight in _LANGS:
            slots = {k: clean(ws, ("news",)) for k, ws in lang.slots.items()}
            by_kind = (
                tuple(_compile(t, slots) for t in clean(lang.general, ("{E}",))),
                tuple(_compile(t, slots) for t in clean(lang.topic, ("{K} {E}",))),
                tuple(_compile(t, slots) for t in clean(lang.duo, ("{K} {L} {E}",))),
            )
            self.langs.append(_LangTables(lang.code, by_kind, slots["H"]))
            lang_weights.append(weight)
        self.url_words = clean(_EN_NOUNS, ("news",))

        # Matching rules: one per topic, plus the catch-all sample rule.
        self.rules = [
            {"id": str(rng.randrange(_MIN_ID, 10**19)), "tag": name} for name, _ in self.topics
        ]
        self.sample_rule = [{"id": str(rng.randrange(_MIN_ID, 10**19)), "tag": SAMPLE_RULE_TAG}]

        # Keyword renderings: plain words (various cases), hashtags, @mentions.
        self.keywords: list[tuple[_Keyword, ...]] = []
        self.kw_cum: list[list[float]] = []
        self.kw_tags: list[tuple[str, ...]] = []
        self.kw_handles: list[tuple[dict[str, str], ...]] = []
        for _, kws in self.topics:
            infos = []
            for i, kw in enumerate(kws):
                tag_src = kw.replace(" ", "")
                tags: tuple[str, ...] = ()
                if _TAG_RE.fullmatch(tag_src):
                    tags = (tag_src.lower(), tag_src[:1].upper() + tag_src[1:])
                handle = None
                if _HANDLE_RE.fullmatch(kw):
                    handle = {"id": str(rng.randrange(10**7, 10**10)), "name": kw, "username": kw}
                words: tuple[str, ...]
                if i == 0 or " " in kw or handle is None:
                    # The topic's main word: mostly written out, in several casings.
                    words = (kw.lower(), kw.title() if " " in kw else kw[:1].upper() + kw[1:])
                    if len(kw) <= 6:
                        words += (kw.upper(),)
                    p_mention, p_tag = (0.12, 0.30)
                else:
                    # A secondary, handle-like keyword (joebiden): mostly @ or #.
                    words = (kw.lower(),)
                    p_mention, p_tag = (0.55, 0.80)
                infos.append(_Keyword(words, tags, handle, p_mention, p_tag))
            self.keywords.append(tuple(infos))
            self.kw_cum.append(list(accumulate(1.0 / (i + 1) for i in range(len(infos)))))
            self.kw_tags.append(tuple(t for k in infos for t in k.tags))
            self.kw_handles.append(tuple(k.handle for k in infos if k.handle is not None))

        # Categories: single topics, pairs (two topics in one tweet), and none.
        n = len(self.topics)
        cats: list[tuple[int, ...]] = []
        weights: list[float] = []
        topic_w = [rng.uniform(0.85, 1.15) for _ in range(n)]
        total_w = sum(topic_w) or 1.0
        share_topics = 0.75 if n >= 2 else (0.8 if n else 0.0)
        for i in range(n):
            cats.append((i,))
            weights.append(share_topics * topic_w[i] / total_w)
        pairs = list(combinations(range(n), 2))
        for pair in pairs:
            cats.append(pair)
            weights.append(0.05 / len(pairs))
        cats.append(())
        weights.append(0.2)
        self.cats = cats
        self.cat_cum = list(accumulate(weights))
        self.pools: dict[tuple[int, ...], list[_Item]] = {c: [] for c in cats}
        self.cat_rules = {c: [self.rules[i] for i in c] if c else self.sample_rule for c in cats}
        self.pool_max = 300

        # Users: invented handles; Zipf-Mandelbrot activity so some authors recur.
        lang_cum = list(accumulate(lang_weights))
        self.users: list[dict[str, str]] = []
        self.user_lang: list[_LangTables] = []
        seen: set[str] = set()
        for rank in range(_N_USERS):
            username = rng.choice(_HANDLE_A) + rng.choice(("", "_", "")) + rng.choice(_HANDLE_B)
            if rng.random() < 0.5:
                username = username[:1].upper() + username[1:]
            if rng.random() < 0.6 or username in seen:
                username += str(rng.randrange(1, 10 ** rng.randint(1, 4)))
            while username in seen or len(username) > 15:
                username = username[:10] + str(rng.randrange(10**4))
            seen.add(username)
            if rng.random() < 0.3:
                uid = str(rng.randrange(10**7, 10**10))  # an old account
            else:
                uid = str(rng.randrange(_MIN_ID, 2 * _MIN_ID))
            name = rng.choice(_FIRST_NAMES) + " " + rng.choice("ABCDEFGHJKLMNPRSTVWZ") + "."
            self.users.append({"id": uid, "name": name, "username": username})
            li = bisect(lang_cum, rng.random() * lang_cum[-1])
            if rank < 100 and rng.random() < 0.8:
                li = 0  # the most active accounts are mostly English-speaking
            self.user_lang.append(self.langs[li])
        self.user_cum = list(accumulate(1.0 / (k + 10.0) ** 1.05 for k in range(_N_USERS)))
        self.user_total = self.user_cum[-1]

        self.last_id = 0
        self.last_now = -math.inf
        self.ts_sec = self.ts_ms = -1
        self.ts_prefix = self.ts_last = ""

    # -- small draws

    def pick_user(self, top: int | None = None) -> int:
        hi = self.user_total if top is None else self.user_cum[top - 1]
        return min(bisect(self.user_cum, self.rnd() * hi), _N_USERS - 1)

    def pick_cat(self) -> tuple[int, ...]:
        cum = self.cat_cum
        return self.cats[min(bisect(cum, self.rnd() * cum[-1]), len(self.cats) - 1)]

    def lang_for(self, user_idx: int) -> _LangTables:
        return self.user_lang[user_idx] if self.rnd() < 0.9 else self.langs[0]

    def timestamp(self, ms: int) -> str:
        """created_at for the stream's clock (cached: consecutive calls share seconds)."""
        if ms == self.ts_ms:
            return self.ts_last
        sec, milli = divmod(ms, 1000)
        if sec != self.ts_sec:
            self.ts_sec = sec
            self.ts_prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))
        self.ts_ms = ms
        self.ts_last = ts = f"{self.ts_prefix}.{milli:03d}Z"
        return ts

    def next_id(self, ms: int) -> str:
        sf = max((ms - _SNOWFLAKE_EPOCH_MS) << 22, _MIN_ID)
        if sf <= self.last_id:
            sf = self.last_id + 1
        self.last_id = sf
        return str(sf)

    def old_id(self, ms: int) -> str:
        """An id for a pre-existing post (never emitted as data): older, not sequenced."""
        return str(max((ms - _SNOWFLAKE_EPOCH_MS) << 22, _MIN_ID) | self.rng.getrandbits(22))

    def tco(self) -> str:
        raw = base64.b64encode(self.rng.randbytes(8))[:10].translate(_B64_TO_ALNUM)
        return "https://t.co/" + raw.decode()

    # -- text

    def keyword(self, b: _Text, topic: int) -> None:
        rnd = self.rnd
        cum = self.kw_cum[topic]
        kws = self.keywords[topic]
        kw = kws[0] if len(kws) == 1 else kws[min(bisect(cum, rnd() * cum[-1]), len(kws) - 1)]
        r = rnd()
        if r < kw.p_mention and kw.handle is not None:
            b.mention(kw.handle)
            return
        if r < kw.p_tag and kw.tags:
            b.tag(kw.tags[int(rnd() * len(kw.tags))])
            return
        w = kw.words[int(rnd() * len(kw.words))]
        b.parts.append(w)
        b.pos += len(w)

    def render(self, b: _Text, lang: _LangTables, cat: tuple[int, ...]) -> None:
        rnd = self.rnd
        templates = lang.by_kind[len(cat) if len(cat) < 3 else 2]
        parts = b.parts
        pos = b.pos
        for kind, val in templates[int(rnd() * len(templates))]:
            if kind == _LIT:
                s = val
            elif kind == _WORD:
                s = val[int(rnd() * len(val))]
            else:
                b.pos = pos
                if kind == _KW:
                    self.keyword(b, cat[val])
                else:
                    b.tag(val[int(rnd() * len(val))])
                pos = b.pos
                continue
            parts.append(s)
            pos += len(s)
        b.pos = pos

    def decorate(self, b: _Text, lang: _LangTables, cat: tuple[int, ...]) -> None:
        """Trailing emoji, hashtags, @mentions and links."""
        rnd = self.rnd
        if rnd() < 0.3:
            b.add(" " + _EMOJI[int(rnd() * len(_EMOJI))])
        r = rnd()
        if r < 0.25:
            b.add(" ")
            tags = lang.hashtags
            if cat and rnd() < 0.5:
                tags = self.kw_tags[cat[int(rnd() * len(cat))]] or tags
            b.tag(tags[int(rnd() * len(tags))])
            second = lang.hashtags[int(rnd() * len(lang.hashtags))]
            if r < 0.08 and second != b.hashtags[-1]["tag"]:
                b.add(" ")
                b.tag(second)
        if cat and rnd() < 0.1:
            handles = self.kw_handles[cat[0]]
            if handles:
                b.add(" ")
                b.mention(handles[int(rnd() * len(handles))])
        if rnd() < 0.05:
            b.add(" cc ")
            b.mention(self.users[self.pick_user()])
        if rnd() < 0.15:
            words = self.url_words
            slug = "-".join(words[int(rnd() * len(words))].split()) + f"-{int(rnd() * 1e5)}"
            domain = _URL_DOMAINS[int(rnd() * len(_URL_DOMAINS))]
            b.add(" ")
            path = f"{domain}/politics/{slug}"
            b.url(self.tco(), "https://" + path, path[:28] + "…")

    # -- tweet objects

    def data(self, tid: str, ts: str, author_idx: int, lang: str, b: _Text) -> dict[str, Any]:
        full = b.text()
        data: dict[str, Any] = {
            "id": tid,
            "text": full,
            "author_id": self.users[author_idx]["id"],
            "created_at": ts,
            "lang": lang,
            "conversation_id": tid,
            "edit_history_tweet_ids": [tid],
            "source": SOURCE_MARK,
        }
        if len(full) > 280:
            # A long post: the first part in `text`, all of it in `note_tweet`.
            short = _truncate(full, 275)
            data["text"] = short
            ent = b.entities(cut=len(short) - 1)
            note: dict[str, Any] = {"text": full}
            full_ent = b.entities()
            if full_ent:
                note["entities"] = full_ent
            data["note_tweet"] = note
        else:
            ent = b.entities()
        if ent:
            data["entities"] = ent
        return data

    def make_original(
        self, tid: str, ts: str, author_idx: int, cat: tuple[int, ...]
    ) -> tuple[dict[str, Any], tuple[dict[str, str], ...]]:
        rnd = self.rnd
        lang = self.lang_for(author_idx)
        b = _Text()
        self.render(b, lang, cat)
        if rnd() < 0.015:
            while b.pos < 420:
                b.add(". " if b.parts[-1][-1:].isalnum() else " ")
                self.render(b, lang, cat if rnd() < 0.6 else ())
        self.decorate(b, lang, cat)
        return self.data(tid, ts, author_idx, lang.code, b), tuple(b.users)

    def older_item(self, now_ms: int, cat: tuple[int, ...], top: int | None = None) -> _Item:
        """A pre-existing post (minutes to hours old) to retweet, quote or reply to."""
        ms = now_ms - int(self.rng.uniform(30.0, 7200.0) * 1000)
        author_idx = self.pick_user(top)
        data, mentioned = self.make_original(self.old_id(ms), _iso(ms), author_idx, cat)
        return data, self.users[author_idx], mentioned

    def pooled_or_older(self, now_ms: int, cat: tuple[int, ...]) -> _Item:
        pool = self.pools[cat]
        if pool and self.rnd() < 0.9:
            return pool[int(len(pool) * self.rnd() ** 1.5)]  # early entries a bit more popular
        return self.older_item(now_ms, cat)

    def remember(self, cat: tuple[int, ...], item: _Item) -> None:
        pool = self.pools[cat]
        if len(pool) < self.pool_max:
            pool.append(item)
        else:
            pool[int(self.rnd() * self.pool_max)] = item

    def line(
        self, now: float, cat: tuple[int, ...] | None = None, viral: _Item | None = None
    ) -> bytes:
        """One stream line. `cat` forces the topic set; `viral` is retweeted half the time."""
        rnd = self.rnd
        if now < self.last_now:
            now = self.last_now
        self.last_now = now
        ms = int(now * 1000)
        tid = self.next_id(ms)
        ts = self.timestamp(ms)
        if cat is None:
            cat = self.pick_cat()
        author_idx = self.pick_user()
        author = self.users[author_idx]
        users: list[dict[str, str]] = [author]
        tweets: list[dict[str, Any]] = []

        r = rnd()
        if r < 0.36 or (viral is not None and r < 0.5):
            item = viral if viral is not None and r < 0.5 else self.pooled_or_older(ms, cat)
            data = self.retweet(tid, ts, author_idx, item)
            tweets.append(item[0])
            users.append(item[1])
            kept = {m["id"] for m in data["entities"]["mentions"]}
            users.extend(u for u in item[2] if u["id"] in kept)
        elif r < 0.48:
            parent = self.pooled_or_older(ms, cat)
            lang = self.lang_for(author_idx)
            b = _Text()
            b.mention(parent[1])
            b.add(" ")
            self.render(b, lang, cat)
            self.decorate(b, lang, cat)
            data = self.data(tid, ts, author_idx, lang.code, b)
            data["conversation_id"] = parent[0]["conversation_id"]
            data["in_reply_to_user_id"] = parent[1]["id"]
            data["referenced_tweets"] = [{"type": "replied_to", "id": parent[0]["id"]}]
            tweets.append(parent[0])
            users.extend(b.users)
        elif r < 0.56:
            quoted = viral if viral is not None and rnd() < 0.5 else self.pooled_or_older(ms, cat)
            qd, qu = quoted[0], quoted[1]
            lang = self.lang_for(author_idx)
            b = _Text()
            self.render(b, lang, cat)
            b.add(" ")
            b.url(
                self.tco(),
                f"https://x.com/{qu['username']}/status/{qd['id']}",
                f"x.com/{qu['username']}/s…",
            )
            data = self.data(tid, ts, author_idx, lang.code, b)
            data["referenced_tweets"] = [{"type": "quoted", "id": qd["id"]}]
            tweets.append(qd)
            users.extend(b.users)
            users.append(qu)
        else:
            data, mentioned = self.make_original(tid, ts, author_idx, cat)
            users.extend(mentioned)
            self.remember(cat, (data, author, mentioned))

        if len(users) == 2:
            if users[0]["id"] == users[1]["id"]:
                del users[1]
        elif len(users) > 2:
            seen: set[str] = set()
            uniq = []
            for u in users:
                if u["id"] not in seen:
                    seen.add(u["id"])
                    uniq.append(u)
            users = uniq
        includes: dict[str, Any] = {"users": users}
        if tweets:
            includes["tweets"] = tweets
        rules = self.cat_rules[cat]
        return orjson.dumps({"data": data, "includes": includes, "matching_rules": rules})

    def retweet(self, tid: str, ts: str, author_idx: int, item: _Item) -> dict[str, Any]:
        od, ou, _ = item
        prefix = f"RT @{ou['username']}: "
        shift = len(prefix)
        text = _truncate(prefix + od["text"], 140)
        cut = len(text) - 1 if text.endswith("…") else len(text)
        mentions: list[dict[str, Any]] = [
            {"start": 3, "end": 4 + len(ou["username"]), "username": ou["username"], "id": ou["id"]}
        ]
        ent: dict[str, list[dict[str, Any]]] = {"mentions": mentions}
        for key, items in od.get("entities", {}).items():
            shifted = []
            for e in items:
                if e["end"] + shift <= cut:
                    e2 = dict(e)
                    e2["start"] += shift
                    e2["end"] += shift
                    shifted.append(e2)
            if key == "mentions":
                mentions.extend(shifted)
            elif shifted:
                ent[key] = shifted
        return {
            "id": tid,
            "text": text,
            "author_id": self.users[author_idx]["id"],
            "created_at": ts,
            "lang": od["lang"],
            "conversation_id": tid,
            "edit_history_tweet_ids": [tid],
            "source": SOURCE_MARK,
            "entities": ent,
            "referenced_tweets": [{"type": "retweeted", "id": od["id"]}],
        }


class _Schedule:
    """Rate modulation: slow sinusoids (swells and lulls) plus topic bursts."""

    def __init__(self, rate: float, n_topics: int, rng: random.Random) -> None:
        self.rng = rng
        self.base = rate / _RATE_NORM
        self.n_topics = n_topics
        self.phase1 = rng.uniform(0.0, 2 * math.pi)
        self.phase2 = rng.uniform(0.0, 2 * math.pi)
        self.next_burst = rng.uniform(5.0, 30.0)  # first burst early, for the demo's sake
        self.burst_start = self.burst_end = -1.0
        self.burst_mult = 1.0
        self.burst_topic = -1
        self.new_burst = False

    def counts(self, t: float, dt: float) -> tuple[int, int]:
        """(ordinary tweets, burst tweets) to emit in [t, t + dt) of stream time."""
        slow = (
            1.0
            + 0.3 * math.sin(2 * math.pi * t / 300.0 + self.phase1)
            + 0.15 * math.sin(2 * math.pi * t / 47.0 + self.phase2)
        )
        n_base = self.poisson(self.base * slow * dt)
        if self.n_topics == 0:
            return n_base, 0
        self.new_burst = False
        if t >= self.next_burst and t >= self.burst_end:
            dur = self.rng.uniform(*_BURST_DUR)
            self.burst_start, self.burst_end = t, t + dur
            self.burst_mult = self.rng.uniform(*_BURST_MULT)
            self.burst_topic = self.rng.randrange(self.n_topics)
            self.next_burst = self.burst_end + self.rng.expovariate(1.0 / _BURST_GAP_MEAN_S)
            self.new_burst = True
        if t < self.burst_end:
            env = math.sin(math.pi * (t - self.burst_start) / (self.burst_end - self.burst_start))
            return n_base, self.poisson(self.base * (self.burst_mult - 1.0) * env * dt)
        return n_base, 0

    def poisson(self, lam: float) -> int:
        if lam <= 0.0:
            return 0
        if lam >= 30.0:
            return max(0, int(self.rng.gauss(lam, math.sqrt(lam)) + 0.5))
        limit = math.exp(-lam)
        k, p = 0, self.rng.random()
        while p > limit:
            k += 1
            p *= self.rng.random()
        return k


# --------------------------------------------------------------------------- source


@dataclass
class DemoSource:
    """Synthetic filtered-stream lines for `topics`, paced to `rate` tweets per second."""

    topics: Sequence[tuple[str, Sequence[str]]]
    rate: float = 20.0
    """Mean tweets per second (the long-run average of the modulated rate)."""
    seed: int | None = None
    """Deterministic content when set (timestamps and ids still follow `clock`)."""
    clock: Callable[[], float] = time.time
    """Epoch seconds, used for created_at, ids and pacing."""
    sleep: Callable[[float], None] = time.sleep
    """Pacing; tests pass a no-op (full speed) or one that advances a fake clock."""
    limit: int | None = None
    """Stop after this many lines (None = forever)."""
    label: ClassVar[str] = "demo"

    def __post_init__(self) -> None:
        if not self.rate > 0 or math.isinf(self.rate):
            raise ValueError(f"demo rate must be a positive number, got {self.rate!r}")
        if self.limit is not None and self.limit < 0:
            raise ValueError(f"demo limit must be >= 0, got {self.limit!r}")

    def lines(self, stop: threading.Event) -> Iterator[bytes]:
        """Yield stream lines (bytes, no newline) until `stop` is set or `limit` is reached."""
        for tick in self.batches(stop):
            yield from tick

    def batches(self, stop: threading.Event) -> Iterator[list[bytes]]:
        """The lines a tick (0.1 s) at a time, an empty list for a tick without posts: the
        collector takes these (sources.base.line_batches), so its flush timer runs on time
        in a lull or at a low `--demo-rate` instead of waiting for the next post."""
        limit = self.limit
        if limit == 0:
            return
        rng = random.Random(self.seed)
        gen = _Generator(self.topics, rng)
        sched = _Schedule(self.rate, len(gen.topics), random.Random(rng.getrandbits(64)))
        clock, sleep = self.clock, self.sleep
        emitted = 0
        stream_t = 0.0  # virtual stream time: drives the modulation, independent of clock
        deadline = clock()
        viral: _Item | None = None
        while not stop.is_set():
            n_base, n_burst = sched.counts(stream_t, _TICK_S)
            stream_t += _TICK_S
            deadline += _TICK_S
            burst_cat: tuple[int, ...] = (sched.burst_topic,)
            if sched.new_burst:
                # One popular account's post goes viral and drives the spike.
                viral = gen.older_item(int(clock() * 1000) - 60_000, burst_cat, top=50)
                gen.remember(burst_cat, viral)
            total = n_base + n_burst
            tick: list[bytes] = []
            for i in range(total):
                # Interleave burst tweets among ordinary ones.
                if n_burst and gen.rng.random() * (total - i) < n_burst:
                    n_burst -= 1
                    tick.append(gen.line(clock(), burst_cat, viral))
                else:
                    tick.append(gen.line(clock()))
                emitted += 1
                if (limit is not None and emitted >= limit) or (i & 63 == 63 and stop.is_set()):
                    yield tick
                    return
            yield tick
            remaining = deadline - clock()
            if remaining < -_MAX_LAG_S:
                deadline = clock()  # consumer too slow: skip ahead instead of flooding
                continue
            if remaining > _TICK_S:
                # Ahead of the clock: the clock stepped back, or `sleep` does not sleep.
                deadline = clock() + _TICK_S
                remaining = _TICK_S
            while remaining > 0:
                if stop.is_set():
                    return
                nap = min(remaining, _SLEEP_SLICE_S)
                sleep(nap)
                remaining -= nap


def virtual_time_source(
    topics: Sequence[tuple[str, Sequence[str]]],
    *,
    rate: float,
    seed: int,
    limit: int,
    start: float = 1_700_000_000.0,
) -> DemoSource:
    """A DemoSource whose clock moves only when it paces: it runs as fast as it is read, with
    created_at spaced as at `rate` posts per second of stream time (for files, benchmarks and
    tests that need hours of stream in seconds). `source.clock()` is the stream time reached."""
    now = [start]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    return DemoSource(topics=topics, rate=rate, seed=seed, clock=lambda: now[0], sleep=sleep, limit=limit)


def write_lines(path: Path, source: DemoSource) -> Path:
    """Every line of a (limited) source into a JSON-lines file."""
    with open(path, "wb") as out:
        for line in source.lines(threading.Event()):
            out.write(line + b"\n")
    return path
