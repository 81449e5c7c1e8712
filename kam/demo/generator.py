"""Deterministic demo data: the same seed and size always give the same records.

Each app that lands adds its own realistic data here, so the demo shows the whole product.
Rows are written with `insert_rows`: batched `executemany` INSERTs, no model instances and no
signals (the audit trail starts after the demo). The large demo writes 2M+ rows, where building
and compiling a model instance per row would cost most of the time (`make bench` measures it).

The customer base: corporate groups (a strategic head, key subsidiaries, some with subsidiaries of
their own) worked by the key-account manager `kam`, a standard base spread over the account
managers (`am`, `lead` and, in the large size, thousands of others), prospects and leads,
English, German and Russian companies (Cyrillic or Latin) with valid tax numbers and E.164
phones, contacts in buying roles with consents, account teams, tags, and a few planted
duplicates. Small: 60 accounts, 200 contacts; large: 200,000 accounts, 1,000,000 contacts.
"""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import IO, Any

from django.contrib.auth.hashers import make_password
from django.db import connections, models, router, transaction
from django.utils import timezone
from stdnum.at import uid as at_uid
from stdnum.ch import uid as ch_uid
from stdnum.iso7064 import mod_11_10
from stdnum.ru import inn
from unidecode import unidecode

from kam.accounts.choices import (
    AddressKind,
    BuyingRole,
    Channel,
    Kind,
    SizeBand,
    Source,
    Status,
    Tier,
)
from kam.accounts.models import (
    Account,
    AccountAddress,
    AccountTeamMember,
    Contact,
    ContactConsent,
    Tag,
)
from kam.accounts.search import bulk_indexing
from kam.accounts.validation import name_key
from kam.core.bulk import insert_rows
from kam.core.roles import Role
from kam.users.models import Department, Notification, Team, User

DEMO_PASSWORD = "kam-demo"  # noqa: S105 - printed for the demo logins, documented in README

# One login per role, named after it, so a tester can sign in as each.
ROSTER: list[tuple[str, str, str, str, str | None, str | None]] = [
    # username, role, first, last, team, department
    ("admin", Role.ADMIN, "Alex", "Admin", None, None),
    ("sales_head", Role.SALES_HEAD, "Helen", "Rostova", None, "Sales"),
    ("kam", Role.KEY_ACCOUNT_MANAGER, "Kirill", "Antonov", "Key Accounts", "Sales"),
    ("am", Role.ACCOUNT_MANAGER, "Anna", "Mironova", "Corporate North", "Sales"),
    ("lead", Role.ACCOUNT_MANAGER, "Leonid", "Egorov", "Corporate North", "Sales"),
    ("service", Role.SERVICE_AGENT, "Sergei", "Volkov", None, "Service"),
    ("marketing", Role.MARKETING, "Maria", "Kotova", None, "Marketing"),
    ("logistics", Role.DEPARTMENT_STAFF, "Lev", "Orlov", None, "Logistics"),
    ("auditor", Role.AUDITOR, "Olga", "Auditova", None, "Finance"),
]
TEAM_LEADS = {"Key Accounts": "kam", "Corporate North": "lead"}
DEPARTMENTS = [
    ("Sales", Department.Kind.SALES),
    ("Logistics", Department.Kind.LOGISTICS),
    ("Finance", Department.Kind.FINANCE),
    ("Legal", Department.Kind.LEGAL),
    ("Production", Department.Kind.PRODUCTION),
    ("Service", Department.Kind.SERVICE),
    ("Marketing", Department.Kind.MARKETING),
]
FIRST = [
    "Anna",
    "Boris",
    "Dmitry",
    "Elena",
    "Fyodor",
    "Galina",
    "Igor",
    "Irina",
    "Maxim",
    "Natalia",
    "Oleg",
    "Pavel",
    "Svetlana",
    "Tatiana",
    "Viktor",
    "Yulia",
    "Peter",
    "Sarah",
    "James",
    "Laura",
    "Marco",
    "Sofia",
    "Jan",
    "Eva",
]
LAST = [
    "Ivanov",
    "Smirnova",
    "Kuznetsov",
    "Popova",
    "Sokolov",
    "Lebedeva",
    "Kozlov",
    "Novikova",
    "Morozov",
    "Petrova",
    "Schmidt",
    "Rossi",
    "Novak",
    "Dubois",
    "Berg",
    "Larsen",
]
REGIONS = ["North", "South", "East", "West", "Central", "Baltic", "Volga", "Ural", "Siberia"]
NOTICES = [
    ("Welcome to KAM", "Your customer base, deals and orders live here. Press Ctrl-K to search."),
    (
        "Monthly report is due",
        "Send your monthly report on successful and repeat deals by the 5th.",
    ),
    ("Exhibition next week", "Invite your key clients to the stand and plan meetings there."),
    ("New product line", "Study the new range before your next presentation."),
]
SIZES: dict[str, dict[str, Any]] = {
    "small": {
        "teams": 0,
        "users": 0,
        "notices": 3,
        "accounts": 60,
        "contacts": 200,
        "groups": 3,
        "kam_groups": 3,
        "kam_standalone": 2,
        "trashed": 1,
        "consent_share": 0.8,
    },
    "large": {
        "teams": 250,
        "users": 5000,
        "notices": 20,
        "accounts": 200_000,
        "contacts": 1_000_000,
        "groups": 2500,
        "kam_groups": 4,
        "kam_standalone": 8,
        "trashed": 200,
        "consent_share": 0.15,
    },
}


@dataclass
class DemoResult:
    rows: int  # rows inserted, all tables together
    users: int
    tables: dict[str, int] = field(default_factory=dict)  # rows inserted per table


def print_logins(out: IO[str] | Any) -> None:
    """The demo logins still present, one per role."""
    present = set(
        User.objects.filter(username__in=[r[0] for r in ROSTER], is_active=True).values_list(
            "username", flat=True
        )
    )
    if not present:
        return
    out.write(f"Demo logins (password for each: {DEMO_PASSWORD}):")
    for username, role, *_ in ROSTER:
        if username in present:
            out.write(f"  {username:<12} {Role(role).label}")


def set_column(model: type[models.Model], attname: str, values: Mapping[int, Any]) -> None:
    """UPDATE one column of the rows with the given primary keys (`{pk: value}`)."""
    connection = connections[router.db_for_write(model)]
    (f,) = [f for f in model._meta.concrete_fields if f.attname == attname]
    qn = connection.ops.quote_name
    table, column = qn(model._meta.db_table), qn(str(f.column))
    where = qn(str(model._meta.pk.column))
    sql = f"UPDATE {table} SET {column} = %s WHERE {where} = %s"  # noqa: S608 - quoted _meta names
    with connection.cursor() as cursor:
        cursor.executemany(
            sql, [(f.get_db_prep_save(value, connection), pk) for pk, value in values.items()]
        )


def _pks(model: type[models.Model], key: str) -> dict[Any, int]:
    return dict(model._base_manager.values_list(key, "pk"))


# --- The customer base: accounts (groups, key accounts, prospects), contacts, consents ---------
# Vocabularies are "Latin:Cyrillic" pairs where a Russian company or person may be written in
# either script; the Latin side is also what their e-mail addresses and domains are made of.


def _words(text: str, separator: str | None = None) -> list[str]:
    return text.split(separator)


TAGS = [
    "VIP",
    "Reference customer",
    "Tender",
    "Reseller",
    "Exhibition 2025",
    "Needs attention",
    "Export",
    "Framework agreement",
    "Public sector",
    "Newsletter",
]
PLANTED_TAGS = {"Needs attention"}


@dataclass(frozen=True)
class Country:
    code: str
    lang: str  # "en", "de" or "ru": which vocabularies its companies and people use
    tld: str
    landline: str  # E.164 prefix of an office number, followed by `landline_digits` digits
    landline_digits: int
    mobile: str
    mobile_digits: int
    cities: tuple[str, ...]
    forms: tuple[str, ...]  # legal forms, the most common first
    postcode: str  # "9" stands for a digit, "A" for a letter


COUNTRIES = [
    Country(
        "RU", "ru", "ru", "+7495", 7, "+7916", 7,
        ("Москва", "Санкт-Петербург", "Казань", "Екатеринбург", "Новосибирск", "Самара"),
        ("ООО", "АО", "ПАО"), "999999",
    ),
    Country(
        "DE", "de", "de", "+4930", 8, "+49151", 8,
        ("Hamburg", "München", "Berlin", "Köln", "Frankfurt", "Stuttgart", "Leipzig", "Hannover"),
        ("GmbH", "AG", "GmbH & Co. KG", "KG", "SE"), "99999",
    ),
    Country(
        "AT", "de", "at", "+431", 7, "+43664", 7,
        ("Wien", "Graz", "Linz", "Salzburg", "Innsbruck"), ("GmbH", "AG", "KG"), "9999",
    ),
    Country(
        "CH", "de", "ch", "+4144", 7, "+4179", 7,
        ("Zürich", "Basel", "Bern", "Luzern", "St. Gallen"), ("AG", "GmbH", "SA"), "9999",
    ),
    Country(
        "GB", "en", "co.uk", "+44207", 7, "+447400", 6,
        ("London", "Manchester", "Birmingham", "Leeds", "Bristol", "Glasgow"),
        ("Ltd", "plc", "LLP"), "AA9 9AA",
    ),
    Country(
        "US", "en", "com", "+1212", 7, "+1646", 7,
        ("New York", "Chicago", "Boston", "Houston", "Seattle", "Atlanta"),
        ("Inc.", "LLC", "Corp."), "99999",
    ),
]  # fmt: skip
COUNTRY_WEIGHTS = [35, 25, 5, 5, 15, 15]
# Roots of company names. "Romashka", "Nordwerk" and "Bluestone" are kept for the planted
# duplicates, so that a search for them finds exactly those.
ROOTS = {
    "en": _words(
        "Northwind Summit Pinnacle Harbor Redwood Crescent Atlas Beacon Silverline Oakridge "
        "Ironbridge Westfield Brightwater Kingsway Riverside Highland Evergreen Granite Falcon "
        "Horizon Meridian Sterling Apex Cobalt Lighthouse Stonegate Ashford Whitmore Carrington "
        "Thornbury Halcyon Sapphire Vanguard Keystone Fairview Clearwater Broadleaf Moorland"
    ),
    "de": _words(
        "Bergmann Rheintal Schwarzwald Alpen Hansa Elbe Sonnen Weser Bavaria Donau Isar Harz "
        "Taunus Eifel Spree Mosel Neckar Lindner Kraft Adler Falke Greif Kristall Stahlwerk "
        "Eisenhut Blauwald Grünfeld Südwest Nordsee Ostwind Rotkopf Weißbach Tannenberg Lichtwerk "
        "Feldberg Mühlbach Seeland Hochland"
    ),
    "ru": _words(
        "Sever:Север Volga:Волга Ural:Урал Sibir:Сибирь Zvezda:Звезда Rassvet:Рассвет "
        "Yantar:Янтарь Baikal:Байкал Vostok:Восток Almaz:Алмаз Raduga:Радуга Neva:Нева "
        "Taiga:Тайга Kedr:Кедр Orion:Орион Sokol:Сокол Berezka:Берёзка Zarya:Заря "
        "Avangard:Авангард Progress:Прогресс Vega:Вега Polyus:Полюс Kristall:Кристалл "
        "Granit:Гранит Don:Дон Kama:Кама Amur:Амур Altai:Алтай Ladoga:Ладога Onega:Онега "
        "Pechora:Печора Yenisei:Енисей Irtysh:Иртыш Sayany:Саяны Khibiny:Хибины Oka:Ока"
    ),
}
# Industry words ("word:industry"; Russian ones "Latin:Cyrillic:industry"), separated by ";".
INDUSTRY_WORDS = {
    "en": _words(
        "Logistics:Logistics;Foods:Food & Beverage;Systems:IT & Software;"
        "Engineering:Manufacturing;Trading:Wholesale;Pharma:Pharmaceuticals;"
        "Textiles:Manufacturing;Energy:Energy;Retail:Retail;Consulting:Professional services;"
        "Packaging:Manufacturing;Medical:Healthcare;Chemicals:Chemicals;"
        "Construction:Construction;Electronics:Electronics;Software:IT & Software;"
        "Freight:Logistics;Supplies:Wholesale;Industries:Manufacturing;Marine:Logistics",
        ";",
    ),
    "de": _words(
        "Logistik:Logistics;Maschinenbau:Manufacturing;Lebensmittel:Food & Beverage;"
        "Technik:Manufacturing;Handel:Wholesale;Chemie:Chemicals;Bau:Construction;"
        "Elektro:Electronics;Metall:Manufacturing;Kunststoff:Manufacturing;"
        "Antriebstechnik:Manufacturing;Verpackung:Manufacturing;Medizintechnik:Healthcare;"
        "Automation:Electronics;Druck:Manufacturing;Holz:Construction;Glas:Manufacturing;"
        "Textil:Manufacturing;Energie:Energy;Systeme:IT & Software",
        ";",
    ),
    "ru": _words(
        "Torg:Торг:Wholesale;Stroy:Строй:Construction;Prom:Пром:Manufacturing;"
        "Agro:Агро:Agriculture;Tekh:Тех:Manufacturing;Snab:Снаб:Wholesale;"
        "Energo:Энерго:Energy;Logistik:Логистик:Logistics;Invest:Инвест:Financial services;"
        "Servis:Сервис:Professional services;Mash:Маш:Manufacturing;Khim:Хим:Chemicals;"
        "Farm:Фарм:Pharmaceuticals;Treid:Трейд:Wholesale;Trans:Транс:Logistics",
        ";",
    ),
}
FIRST_NAMES = {
    "en": {
        "m": _words(
            "James John Robert Michael David William Richard Thomas Daniel Matthew Mark Paul "
            "George Edward Henry Oliver Samuel Andrew"
        ),
        "f": _words(
            "Emma Olivia Sarah Emily Jessica Sophie Laura Rachel Hannah Charlotte Grace Lucy "
            "Amelia Chloe Megan Alice Helen Kate"
        ),
    },
    "de": {
        "m": _words(
            "Thomas Michael Andreas Stefan Christian Markus Frank Jürgen Klaus Tobias Jan Lukas "
            "Matthias Florian Sebastian Wolfgang Uwe Dirk"
        ),
        "f": _words(
            "Sabine Andrea Claudia Petra Susanne Julia Katrin Anja Nicole Stefanie Laura Lena "
            "Monika Birgit Karin Heike Sandra Jana"
        ),
    },
    "ru": {
        "m": _words(
            "Ivan:Иван Dmitry:Дмитрий Sergei:Сергей Alexei:Алексей Andrei:Андрей "
            "Mikhail:Михаил Nikolai:Николай Pavel:Павел Oleg:Олег Igor:Игорь Viktor:Виктор "
            "Yuri:Юрий Maxim:Максим Artyom:Артём Kirill:Кирилл Roman:Роман Vladimir:Владимир "
            "Boris:Борис Denis:Денис Evgeny:Евгений"
        ),
        "f": _words(
            "Anna:Анна Elena:Елена Olga:Ольга Natalia:Наталья Irina:Ирина Tatiana:Татьяна "
            "Svetlana:Светлана Maria:Мария Ekaterina:Екатерина Yulia:Юлия Galina:Галина "
            "Marina:Марина Daria:Дарья Ksenia:Ксения Alina:Алина Polina:Полина Vera:Вера "
            "Larisa:Лариса"
        ),
    },
}
LAST_NAMES = {
    "en": _words(
        "Smith Johnson Williams Brown Jones Miller Davis Wilson Taylor Anderson Thomas Moore "
        "Martin Jackson Thompson White Harris Clark Lewis Robinson Walker Young Allen King Wright "
        "Scott Hill Green Adams Baker Nelson Carter Mitchell Roberts Turner Phillips Campbell "
        "Parker Evans Edwards Collins Stewart Morris Murphy Cook Rogers Morgan Cooper Peterson Reed"
    ),
    "de": _words(
        "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer "
        "Koch Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann "
        "Hartmann Lange Schmitt Werner Schmitz Krause Meier Lehmann Schmid Schulze Maier Köhler "
        "Herrmann König Walter Mayer Huber Kaiser Fuchs Peters Lang Scholz Möller Weiß Jung Hahn "
        "Vogel"
    ),
    # The male form; the female one adds "a".
    "ru": _words(
        "Ivanov:Иванов Petrov:Петров Smirnov:Смирнов Kuznetsov:Кузнецов Popov:Попов "
        "Sokolov:Соколов Lebedev:Лебедев Kozlov:Козлов Novikov:Новиков Morozov:Морозов "
        "Volkov:Волков Solovyov:Соловьёв Vasilyev:Васильев Zaitsev:Зайцев Pavlov:Павлов "
        "Semyonov:Семёнов Golubev:Голубев Vinogradov:Виноградов Bogdanov:Богданов "
        "Vorobyov:Воробьёв Fyodorov:Фёдоров Mikhailov:Михайлов Belyaev:Беляев Tarasov:Тарасов "
        "Belov:Белов Komarov:Комаров Orlov:Орлов Kiselyov:Киселёв Makarov:Макаров "
        "Andreev:Андреев Kovalyov:Ковалёв Ilyin:Ильин Gusev:Гусев Titov:Титов Kuzmin:Кузьмин "
        "Kudryavtsev:Кудрявцев Baranov:Баранов Kulikov:Куликов Alexeev:Алексеев "
        "Stepanov:Степанов Yakovlev:Яковлев Sorokin:Сорокин Sergeev:Сергеев Romanov:Романов "
        "Zakharov:Захаров Borisov:Борисов Korolyov:Королёв Gerasimov:Герасимов "
        "Grigoryev:Григорьев Nikitin:Никитин"
    ),
}
# Russian patronymics: male Latin, female Latin, male Cyrillic, female Cyrillic.
PATRONYMICS = [
    p.split(":")
    for p in _words(
        "Ivanovich:Ivanovna:Иванович:Ивановна Sergeevich:Sergeevna:Сергеевич:Сергеевна "
        "Alexandrovich:Alexandrovna:Александрович:Александровна "
        "Dmitrievich:Dmitrievna:Дмитриевич:Дмитриевна "
        "Nikolaevich:Nikolaevna:Николаевич:Николаевна Petrovich:Petrovna:Петрович:Петровна "
        "Vladimirovich:Vladimirovna:Владимирович:Владимировна "
        "Andreevich:Andreevna:Андреевич:Андреевна Mikhailovich:Mikhailovna:Михайлович:Михайловна "
        "Viktorovich:Viktorovna:Викторович:Викторовна"
    )
]
# Job titles by language and buying role (the first role is the one every account has).
JOB_TITLES = {
    "en": {
        "decision_maker": ["CEO", "Managing Director", "General Manager", "Owner"],
        "economic_buyer": ["CFO", "Finance Director", "Head of Procurement"],
        "influencer": ["Chief Engineer", "Head of IT", "Technical Director", "Quality Manager"],
        "user": ["Production Planner", "Warehouse Manager", "Logistics Coordinator"],
        "gatekeeper": ["Executive Assistant", "Office Manager", "Purchasing Assistant"],
    },
    "de": {
        "decision_maker": ["Geschäftsführung", "Vorstand", "Inhaber"],
        "economic_buyer": ["Kaufmännische Leitung", "Leitung Einkauf", "Leitung Finanzen"],
        "influencer": ["Technische Leitung", "Leitung IT", "Qualitätsmanagement"],
        "user": ["Lagerleitung", "Disposition", "Instandhaltung", "Produktionsplanung"],
        "gatekeeper": ["Assistenz der Geschäftsführung", "Sachbearbeitung Einkauf"],
    },
    "ru": {
        "decision_maker": ["Генеральный директор", "Директор", "Собственник"],
        "economic_buyer": ["Финансовый директор", "Коммерческий директор", "Главный бухгалтер"],
        "influencer": ["Главный инженер", "Технический директор", "Руководитель ИТ-отдела"],
        "user": ["Начальник склада", "Инженер-технолог", "Менеджер по снабжению"],
        "gatekeeper": ["Секретарь", "Офис-менеджер", "Помощник руководителя"],
    },
}
BUYING_ROLES = ["economic_buyer", "influencer", "influencer", "user", "user", "gatekeeper"]
NOTES = {
    "en": [
        "Met at Hannover Messe; interested in the new product line.",
        "Prefers calls in the morning; send the agenda a day before.",
        "Framework contract up for renewal in Q3.",
        "Asked for a presentation of the full range and volume prices.",
        "Complained about late deliveries last year; resolved with a credit note.",
    ],
    "de": [
        "Auf der Hannover Messe kennengelernt; Interesse an der neuen Produktlinie.",
        "Bevorzugt Termine am Vormittag.",
        "Rahmenvertrag läuft im Herbst aus, rechtzeitig nachfassen.",
        "Wünscht eine Präsentation des gesamten Sortiments.",
    ],
    "ru": [
        "Познакомились на выставке «Иннопром»; интересуется новой линейкой.",
        "Предпочитает звонки в первой половине дня.",
        "Договор поставки продлевается в третьем квартале.",
        "Просил презентацию всего ассортимента и цены на объём.",
    ],
}
STREETS = {
    "en": ["High Street", "Station Road", "Park Avenue", "Mill Lane", "Harbour Way", "Main St"],
    "de": ["Hauptstraße", "Industriestraße", "Bahnhofstraße", "Hafenstraße", "Gewerbepark"],
    "ru": ["ул. Ленина", "Промышленная ул.", "пр. Мира", "ул. Садовая", "Заводская ул."],
}
CONSENT_HOW = ["web form", "signed contract", "at an exhibition", "by phone", "business card"]
SEXES = ("m", "f")
# Enum `.values` builds a new list on each access; the generators draw from these per row.
SOURCES, SIZE_BANDS, STATUSES = Source.values, SizeBand.values, Status.values


@dataclass(slots=True)
class _Account:
    """What the contacts and the other rows of an account need to know about it."""

    country: Country
    cyrillic: bool
    domain: str
    owner: int
    tier: str
    weight: float  # its share of the contacts
    parent: int = -1  # position of the parent account
    referred_by: int = -1
    contacts: int = 0
    planted: list[dict[str, Any]] = field(default_factory=list)  # its planted contacts


def _pair(value: str, cyrillic: bool) -> str:
    latin, _, native = value.partition(":")
    return native if cyrillic and native else latin


@functools.lru_cache(maxsize=4096)
def _ascii(value: str) -> str:
    """Latin letters for e-mail addresses and domains (`Müller` gives `mueller`)."""
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        value = value.replace(umlaut, plain).replace(umlaut.upper(), plain.title())
    return re.sub(r"[^a-z0-9]+", "-", unidecode(value).lower()).strip("-")


def _digits(rng: random.Random, count: int) -> str:
    """`count` random digits, the first not 0 or 1 (a valid start of a subscriber number)."""
    return str(rng.randrange(2 * 10 ** (count - 1), 10**count))


def _postcode(rng: random.Random, pattern: str) -> str:
    letters = "ABCDEFGHJKLMNPRSTUWY"
    return "".join(
        str(rng.randint(0, 9)) if c == "9" else rng.choice(letters) if c == "A" else c
        for c in pattern
    )


def tax_number(rng: random.Random, country: str) -> str:
    """A tax number with valid check digits, in the compact form the services store."""
    while True:
        if country == "RU":  # INN of an organisation
            body = _digits(rng, 9)
            return body + inn.calc_company_check_digit(body)
        if country == "DE":  # USt-IdNr
            body = _digits(rng, 8)
            return body + mod_11_10.calc_check_digit(body)
        if country == "AT":  # UID
            body = "U" + _digits(rng, 7)
            return body + at_uid.calc_check_digit(body)
        if country == "CH":  # UID with the VAT suffix
            body = _digits(rng, 8)
            check = ch_uid.calc_check_digit(body)
            if check != "10":
                return f"CHE{body}{check}MWST"
        elif country == "GB":  # VAT registration number
            body = _digits(rng, 7)
            total = sum(w * int(n) for w, n in zip((8, 7, 6, 5, 4, 3, 2), body, strict=True))
            return f"{body}{-total % 97:02d}"
        else:  # US EIN, with a prefix of a known IRS campus
            return rng.choice(["12", "20", "27", "46", "54", "61"]) + _digits(rng, 7)


class _Namer:
    """Company names: a root, an industry word, sometimes a city or a surname; unique domains."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.domains: dict[str, int] = {}

    def domain(self, stem: str, country: Country) -> str:
        seen = self.domains.get(stem, 0)
        self.domains[stem] = seen + 1
        return f"{stem}{'' if not seen else f'-{seen + 1}'}.{country.tld}"

    def company(
        self, country: Country, cyrillic: bool, root: str | None = None, city: bool = False
    ) -> tuple[str, str, str, str]:
        """(name, legal name, industry, domain stem) of a new company."""
        rng, lang = self.rng, country.lang
        root = root or rng.choice(ROOTS[lang])
        word, _, rest = rng.choice(INDUSTRY_WORDS[lang]).partition(":")
        industry = rest.rpartition(":")[2]
        form = country.forms[0] if rng.random() < 0.7 else rng.choice(country.forms)
        if lang == "ru":
            native_word = rest.partition(":")[0]
            base = _pair(root, cyrillic) + (native_word if cyrillic else word)
            stem = _ascii(root.partition(":")[0] + word)
            if city:
                base = f"{base} {rng.choice(country.cities)}" if cyrillic else base
            legal = f"{form} «{base}»" if cyrillic else f"{base} {rng.choice(['LLC', 'JSC'])}"
            return base, legal, industry, stem
        if not city and rng.random() < 0.3:
            root = rng.choice(LAST_NAMES[lang])
            if rng.random() < 0.3:
                name = f"{root} & {rng.choice(LAST_NAMES[lang])}"
                return name, f"{name} {form}", industry, _ascii(name.replace("&", "and"))
        name = f"{root} {word}"
        if city:
            name = f"{name} {rng.choice(country.cities)}"
        return name, f"{name} {form}", industry, _ascii(name)


def _account_rows(
    rng: random.Random,
    plan: Mapping[str, Any],
    now: datetime,
    owners: Mapping[str, list[int]],
    accounts: list[_Account],
) -> Iterator[dict[str, Any]]:
    """The account rows in order: groups (head, subsidiaries, theirs), key accounts, the
    standard base, then the planted duplicates; `accounts` gets one entry per row."""
    namer = _Namer(rng)
    kam = owners["kam"][0]

    def row(
        *,
        owner: int,
        tier: str,
        status: str,
        country: Country | None = None,
        cyrillic: bool | None = None,
        company: tuple[str, str, str, str] | None = None,
        parent: int = -1,
        weight: float = 3.0,
        deleted_by: int | None = None,
    ) -> dict[str, Any]:
        country = country or rng.choices(COUNTRIES, COUNTRY_WEIGHTS)[0]
        if cyrillic is None:
            cyrillic = country.lang == "ru" and rng.random() < 0.6
        name, legal, industry, stem = company or namer.company(country, cyrillic)
        domain = namer.domain(stem, country)
        referred = -1
        source = rng.choice(SOURCES)
        if source == Source.REFERRAL and accounts:
            referred = rng.randrange(len(accounts))
        kind = Kind.PROSPECT if status in (Status.LEAD, Status.PROSPECT) else Kind.CUSTOMER
        if kind == Kind.CUSTOMER and rng.random() < 0.12:
            kind = rng.choice([Kind.PARTNER, Kind.CONTRACTOR])
        accounts.append(
            _Account(country, cyrillic, domain, owner, tier, weight * rng.uniform(0.6, 1.4))
        )
        accounts[-1].parent, accounts[-1].referred_by = parent, referred
        created = now - timedelta(days=rng.randint(1, 5 * 365), minutes=rng.randint(0, 1440))
        return {
            "name": name,
            "legal_name": legal,
            "name_key": name_key(name),
            "country": country.code,
            "tax_number": tax_number(rng, country.code) if status != Status.LEAD else "",
            "registration_number": "",
            "industry": industry,
            "size_band": rng.choice(SIZE_BANDS),
            "website": f"https://www.{domain}",
            "domain": domain,
            "phones": [country.landline + _digits(rng, country.landline_digits)],
            "emails": [f"{rng.choice(['info', 'office', 'sales', 'contact'])}@{domain}"],
            "kind": kind,
            "tier": tier,
            "status": status,
            "owner_id": owner,
            "source": source,
            "credit_limit": Decimal(rng.randint(5, 500) * 1000) if tier != "standard" else None,
            "currency": {"RU": "RUB", "GB": "GBP", "US": "USD", "CH": "CHF"}.get(
                country.code, "EUR"
            ),
            "payment_terms_days": rng.choice([14, 30, 30, 45, 60]),
            "notes": rng.choice(NOTES[country.lang if cyrillic or country.lang != "ru" else "en"])
            if rng.random() < 0.2
            else "",
            "created_at": created,
            "deleted_at": now - timedelta(days=rng.randint(1, 20)) if deleted_by else None,
            "deleted_by_id": deleted_by,
        }

    yield from _group_rows(rng, plan, owners, accounts, namer, row)
    for _ in range(plan["kam_standalone"]):
        yield row(owner=kam, tier=Tier.KEY, status=Status.ACTIVE, weight=6)
    planted = _planted(owners)
    standard = plan["accounts"] - len(accounts) - len(planted)
    trashed = set(rng.sample(range(standard), plan["trashed"]))
    for n in range(standard):
        owner = rng.choice(owners["managers"])
        status = rng.choices(STATUSES, [15, 15, 50, 12, 8])[0]
        if n in trashed:
            yield row(owner=owner, tier=Tier.STANDARD, status=Status.LOST, deleted_by=owner)
            continue
        tier = Tier.KEY if rng.random() < 0.03 and status == Status.ACTIVE else Tier.STANDARD
        weight = 1.0 if status == Status.LEAD else 2.0 if status == Status.PROSPECT else 3.0
        yield row(owner=owner, tier=tier, status=status, weight=weight)
    for spec in planted:
        values = row(**spec["account"])
        domain = spec["fields"]["domain"]
        values.update(website=f"https://www.{domain}", emails=[f"info@{domain}"])
        values.update(spec["fields"])
        accounts[-1].domain = domain
        accounts[-1].planted = spec["contacts"]
        accounts[-1].weight = 0.0
        yield values


def _group_rows(
    rng: random.Random,
    plan: Mapping[str, Any],
    owners: Mapping[str, list[int]],
    accounts: list[_Account],
    namer: _Namer,
    row: Any,
) -> Iterator[dict[str, Any]]:
    """Corporate groups: a head (strategic), two to four subsidiaries (key), some of which have
    subsidiaries of their own; the key-account manager `kam` owns the first few groups."""
    for number in range(plan["groups"]):
        owner = owners["kam"][0] if number < plan["kam_groups"] else rng.choice(owners["kams"])
        country = rng.choices(COUNTRIES, COUNTRY_WEIGHTS)[0]
        cyrillic = country.lang == "ru" and rng.random() < 0.6
        root = rng.choice(ROOTS[country.lang])
        latin = root.partition(":")[0]
        if cyrillic:
            head = (f"ГК «{_pair(root, True)}»", f"АО «{_pair(root, True)} Холдинг»")
        else:
            word = {"en": "Group", "de": "Holding", "ru": "Group"}[country.lang]
            form = {"en": country.forms[0], "de": "AG", "ru": "JSC"}[country.lang]
            head = (f"{latin} {word}", f"{latin} {word} {form}")
        head_position = len(accounts)
        yield row(
            owner=owner,
            tier=Tier.STRATEGIC,
            status=Status.ACTIVE,
            country=country,
            cyrillic=cyrillic,
            company=(*head, "Holding", f"{_ascii(latin)}-group"),
            weight=8,
        )
        for _ in range(rng.randint(2, 4)):
            abroad = rng.random() < 0.3
            sub_country = rng.choices(COUNTRIES, COUNTRY_WEIGHTS)[0] if abroad else country
            sub_cyrillic = cyrillic and sub_country.lang == "ru"
            sub_root = root if sub_country.lang == "ru" else latin
            sub_position = len(accounts)
            yield row(
                owner=owner,
                tier=Tier.KEY,
                status=Status.ACTIVE,
                country=sub_country,
                cyrillic=sub_cyrillic,
                company=namer.company(sub_country, sub_cyrillic, root=sub_root, city=True),
                parent=head_position,
                weight=5,
            )
            for _ in range(rng.choice([0, 0, 1, 2])):
                yield row(
                    owner=owner,
                    tier=rng.choice([Tier.KEY, Tier.STANDARD]),
                    status=Status.ACTIVE,
                    country=sub_country,
                    cyrillic=sub_cyrillic,
                    company=namer.company(sub_country, sub_cyrillic, root=sub_root, city=True),
                    parent=sub_position,
                    weight=3,
                )


def _planted(owners: Mapping[str, list[int]]) -> list[dict[str, Any]]:
    """Pairs of accounts (and contacts) that are the same company entered twice: what the
    duplicate finder must catch. Same values in every size and seed."""
    ru, de, gb = (next(c for c in COUNTRIES if c.code == code) for code in ("RU", "DE", "GB"))
    am, lead, kam = owners["am"][0], owners["lead"][0], owners["kam"][0]
    romashka_inn = "7701234560"
    nordwerk_vat = "12345678" + mod_11_10.calc_check_digit("12345678")
    ivan = {
        "emails": ["ivan.petrov@romashka.ru"],
        "phones": ["+79161234567"],
        "buying_role": BuyingRole.DECISION_MAKER,
    }
    thomas = {"phones": ["+4915112345678"], "buying_role": BuyingRole.ECONOMIC_BUYER}
    common = {"status": Status.ACTIVE, "tier": Tier.STANDARD}
    return [
        {
            "account": {
                **common,
                "owner": am,
                "country": ru,
                "cyrillic": False,
                "company": ("Romashka LLC", "Romashka LLC", "Wholesale", "romashka"),
            },
            "fields": {"domain": "romashka.ru", "tax_number": romashka_inn},
            "contacts": [
                {**ivan, "first_name": "Ivan", "last_name": "Petrov", "job_title": "CEO"},
            ],
        },
        {
            "account": {
                **common,
                "owner": lead,
                "country": ru,
                "cyrillic": True,
                "company": ("ООО Ромашка", "ООО «Ромашка»", "Wholesale", "romashka"),
            },
            "fields": {"domain": "romashka.ru", "tax_number": romashka_inn},
            "contacts": [
                {
                    **ivan,
                    "first_name": "Иван",
                    "last_name": "Петров",
                    "middle_name": "Сергеевич",
                    "job_title": "Генеральный директор",
                },
            ],
        },
        {
            "account": {
                **common,
                "owner": kam,
                "tier": Tier.KEY,
                "country": de,
                "cyrillic": False,
                "company": (
                    "Nordwerk Logistik GmbH",
                    "Nordwerk Logistik GmbH",
                    "Logistics",
                    "nordwerk",
                ),
            },
            "fields": {"domain": "nordwerk.de", "tax_number": nordwerk_vat},
            "contacts": [
                {
                    **thomas,
                    "first_name": "Thomas",
                    "last_name": "Müller",
                    "emails": ["thomas.mueller@nordwerk.de"],
                    "job_title": "Leitung Einkauf",
                },
            ],
        },
        {
            "account": {
                **common,
                "owner": am,
                "country": de,
                "cyrillic": False,
                "company": (
                    "NORDWERK LOGISTIK G.m.b.H.",
                    "NORDWERK LOGISTIK G.m.b.H.",
                    "Logistics",
                    "nordwerk-logistik",
                ),
            },
            "fields": {"domain": "nordwerk-logistik.de", "tax_number": nordwerk_vat},
            "contacts": [
                {
                    **thomas,
                    "first_name": "Thomas",
                    "last_name": "Mueller",
                    "emails": ["t.mueller@nordwerk-logistik.de"],
                    "job_title": "Einkauf",
                },
            ],
        },
        {
            "account": {
                **common,
                "owner": lead,
                "country": gb,
                "cyrillic": False,
                "company": ("Bluestone Foods", "Bluestone Foods Ltd", "Food & Beverage", "b"),
            },
            "fields": {"domain": "bluestone-foods.co.uk", "phones": ["+442079460000"]},
            "contacts": [],
        },
        {
            "account": {
                **common,
                "owner": am,
                "country": gb,
                "cyrillic": False,
                "company": (
                    "Blue Stone Foods Limited",
                    "Blue Stone Foods Limited",
                    "Food & Beverage",
                    "b",
                ),
            },
            "fields": {
                "domain": "bluestone-foods.co.uk",
                "phones": ["+442079460000"],
                "emails": ["orders@bluestone-foods.co.uk"],
            },
            "contacts": [],
        },
    ]


def _spread(accounts: list[_Account], total: int) -> None:
    """Share `total` contacts among the accounts by weight, exactly (planted ones included)."""
    total -= sum(len(a.planted) for a in accounts)
    weights = sum(a.weight for a in accounts) or 1.0
    for account in accounts:
        account.contacts = int(account.weight * total / weights)
    short = total - sum(a.contacts for a in accounts)
    eligible = [a for a in accounts if a.weight > 0] or accounts
    for n in range(short):
        eligible[n % len(eligible)].contacts += 1


def _person(rng: random.Random, account: _Account) -> tuple[str, str, str, str, str]:
    """(first, middle, last, Latin first, Latin last) of a person at the account."""
    lang, cyrillic = account.country.lang, account.cyrillic
    sex = rng.choice(SEXES)
    first = rng.choice(FIRST_NAMES[lang][sex])
    last = rng.choice(LAST_NAMES[lang])
    if lang != "ru":
        return first, "", last, first, last
    first_latin, _, first_native = first.partition(":")
    last_latin, _, last_native = last.partition(":")
    if sex == "f":
        last_latin, last_native = last_latin + "a", last_native + "а"
    middle = ""
    if cyrillic and rng.random() < 0.7:
        middle = rng.choice(PATRONYMICS)[2 if sex == "m" else 3]
    if cyrillic:
        return first_native, middle, last_native, first_latin, last_latin
    return first_latin, middle, last_latin, first_latin, last_latin


def _contact_rows(
    rng: random.Random,
    accounts: list[_Account],
    pks: list[int],
    now: datetime,
    consents: bytearray,
    consent_share: float,
) -> Iterator[dict[str, Any]]:
    """Each account's people, the decision maker first; `consents` gets a code per contact
    (0 none, 1 e-mail, 2 e-mail and phone, 3 e-mail withdrawn)."""
    for account, pk in zip(accounts, pks, strict=True):
        country, lang = account.country, account.country.lang
        titles = JOB_TITLES[lang if lang != "ru" or account.cyrillic else "en"]
        for planted in account.planted:
            consents.append(2)
            yield {"account_id": pk, "owner_id": account.owner, "created_at": now, **planted}
        for n in range(account.contacts):
            first, middle, last, first_latin, last_latin = _person(rng, account)
            role = BuyingRole.DECISION_MAKER if n == 0 else rng.choice(BUYING_ROLES)
            if rng.random() < 0.8:
                local = f"{_ascii(first_latin)}.{_ascii(last_latin)}"
            else:
                local = f"{_ascii(first_latin)[0]}.{_ascii(last_latin)}"
            phones = [country.mobile + _digits(rng, country.mobile_digits)]
            if rng.random() < 0.3:
                phones.append(country.landline + _digits(rng, country.landline_digits))
            do_not_contact = rng.random() < 0.02
            if do_not_contact:
                consents.append(3)
            else:
                consents.append(rng.choice((1, 2)) if rng.random() < consent_share else 0)
            yield {
                "account_id": pk,
                "first_name": first,
                "middle_name": middle,
                "last_name": last,
                "job_title": rng.choice(titles[role]),
                "buying_role": role,
                "emails": [f"{local}@{account.domain}"],
                "phones": phones,
                "preferred_channel": rng.choice(["email", "email", "phone", "chat", ""]),
                "do_not_contact": do_not_contact,
                "birthday": (
                    date(rng.randint(1960, 2000), rng.randint(1, 12), rng.randint(1, 28))
                    if rng.random() < 0.3
                    else None
                ),
                "notes": rng.choice(NOTES[lang if lang != "ru" or account.cyrillic else "en"])
                if rng.random() < 0.1
                else "",
                "owner_id": account.owner,
                "created_at": now - timedelta(days=rng.randint(0, 4 * 365)),
            }


def _consent_rows(
    rng: random.Random, contact_pks: Iterable[int], codes: bytearray, now: datetime
) -> Iterator[dict[str, Any]]:
    for pk, code in zip(contact_pks, codes, strict=True):
        if not code:
            continue
        given = now - timedelta(days=rng.randint(1, 3 * 365))
        how = rng.choice(CONSENT_HOW)
        yield {
            "contact_id": pk,
            "channel": Channel.EMAIL,
            "is_granted": code != 3,
            "given_at": given,
            "how": "unsubscribed" if code == 3 else how,
        }
        if code == 2:
            yield {
                "contact_id": pk,
                "channel": Channel.PHONE,
                "is_granted": True,
                "given_at": given,
                "how": how,
            }


def _address_rows(
    rng: random.Random, accounts: list[_Account], pks: list[int]
) -> Iterator[dict[str, Any]]:
    for account, pk in zip(accounts, pks, strict=True):
        country = account.country
        lang = country.lang if country.lang != "ru" or account.cyrillic else "en"
        kinds = [AddressKind.LEGAL] + ([AddressKind.DELIVERY] if rng.random() < 0.3 else [])
        for kind in kinds:
            street, number = rng.choice(STREETS[lang]), rng.randint(1, 180)
            yield {
                "account_id": pk,
                "kind": kind,
                "street": f"{street}, д. {number}" if lang == "ru" else f"{street} {number}",
                "city": rng.choice(country.cities)
                if lang != "en" or country.code != "RU"
                else unidecode(rng.choice(country.cities)),
                "postal_code": _postcode(rng, country.postcode),
                "country": country.code,
            }


def _team_rows(
    rng: random.Random,
    accounts: list[_Account],
    pks: list[int],
    owners: Mapping[str, list[int]],
) -> Iterator[dict[str, Any]]:
    """Account teams: key accounts are worked by a few people beside the owner."""
    helpers = owners["am"] + owners["service"]
    for account, pk in zip(accounts, pks, strict=True):
        if account.tier == Tier.STANDARD and rng.random() >= 0.05:
            continue
        count = 1 if account.tier == Tier.STANDARD else rng.randint(1, 3)
        candidates = helpers if account.owner == owners["kam"][0] else owners["managers"]
        members = {rng.choice(candidates) for _ in range(count)} - {account.owner}
        for user in sorted(members):
            yield {
                "account_id": pk,
                "user_id": user,
                "role": rng.choice(["Deputy", "Service", "Logistics", "Technical support"]),
            }


def _tag_rows(
    rng: random.Random, accounts: list[_Account], pks: list[int], tags: Mapping[str, int]
) -> Iterator[dict[str, Any]]:
    for account, pk in zip(accounts, pks, strict=True):
        if account.planted or account.weight == 0.0:
            names = set(PLANTED_TAGS)
        elif rng.random() < 0.3:
            names = set(rng.sample(TAGS, rng.randint(1, 2)))
        else:
            continue
        for name in sorted(names):
            yield {"account_id": pk, "tag_id": tags[name]}


def _new_pks(model: type[models.Model], count: int) -> list[int]:
    """The primary keys of the last `count` rows written, in the order they were written."""
    return sorted(model._base_manager.order_by("-pk").values_list("pk", flat=True)[:count])


def _customer_base(
    *,
    rng: random.Random,
    plan: Mapping[str, Any],
    now: datetime,
    insert: Any,
    people: list[dict[str, Any]],
    user_pks: Mapping[str, int],
) -> None:
    """Accounts and everything that hangs off them: hierarchy, teams, tags, addresses, contacts
    and their consents. Rows go in by position, so the data never depends on primary keys."""
    extra = people[len(ROSTER) :]
    owners = {
        "kam": [user_pks["kam"]],
        "am": [user_pks["am"]],
        "lead": [user_pks["lead"]],
        "service": [user_pks["service"]],
        "kams": [user_pks[p["username"]] for p in extra if p["role"] == Role.KEY_ACCOUNT_MANAGER]
        or [user_pks["kam"]],
        "managers": [user_pks["am"], user_pks["lead"]]
        + [
            user_pks[p["username"]]
            for p in extra
            if p["role"] in (Role.ACCOUNT_MANAGER, Role.KEY_ACCOUNT_MANAGER)
        ],
    }
    insert(Tag, ({"name": name} for name in TAGS))
    tags = _pks(Tag, "name")

    accounts: list[_Account] = []
    insert(Account, _account_rows(rng, plan, now, owners, accounts))
    pks = _new_pks(Account, len(accounts))
    set_column(
        Account,
        "parent_id",
        {pks[n]: pks[a.parent] for n, a in enumerate(accounts) if a.parent >= 0},
    )
    set_column(
        Account,
        "referred_by_id",
        {pks[n]: pks[a.referred_by] for n, a in enumerate(accounts) if a.referred_by >= 0},
    )
    insert(AccountAddress, _address_rows(rng, accounts, pks))
    insert(AccountTeamMember, _team_rows(rng, accounts, pks, owners))
    insert(Account.tags.through, _tag_rows(rng, accounts, pks, tags))

    _spread(accounts, plan["contacts"])
    codes = bytearray()
    insert(Contact, _contact_rows(rng, accounts, pks, now, codes, plan["consent_share"]))
    del accounts, pks
    contact_pks = _new_pks(Contact, len(codes))
    insert(ContactConsent, _consent_rows(rng, contact_pks, codes, now))


@transaction.atomic
def generate(*, size: str = "small", seed: int = 1) -> DemoResult:
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}")
    rng = random.Random(seed)
    plan = SIZES[size]
    now = timezone.now().replace(microsecond=0)
    password = make_password(DEMO_PASSWORD, salt=f"kamdemo{seed}")
    tables: dict[str, int] = {}

    def insert(model: type[models.Model], rows: Iterable[Mapping[str, Any]]) -> None:
        table = model._meta.db_table
        tables[table] = tables.get(table, 0) + insert_rows(model, rows, now=now)

    insert(
        Department,
        (
            {"name": name, "kind": kind, "email": f"{name.lower()}@example.com"}
            for name, kind in DEPARTMENTS
        ),
    )
    departments = _pks(Department, "name")
    team_names = list(TEAM_LEADS) + [
        f"{REGIONS[i % len(REGIONS)]} {i + 1}" for i in range(plan["teams"])
    ]
    insert(Team, ({"name": name} for name in team_names))
    teams = _pks(Team, "name")

    people: list[dict[str, Any]] = [
        {
            "username": username,
            "role": role,
            "first_name": first,
            "last_name": last,
            "password": password,
            "email": f"{username}@example.com",
            "team_id": teams[team] if team else None,
            "department_id": departments[dept] if dept else None,
            "is_staff": role == Role.ADMIN,
            "is_superuser": role == Role.ADMIN,
        }
        for username, role, first, last, team, dept in ROSTER
    ]
    extra_teams = team_names[len(TEAM_LEADS) :] or team_names
    roles = (
        [Role.ACCOUNT_MANAGER] * 6
        + [Role.KEY_ACCOUNT_MANAGER] * 2
        + [Role.SERVICE_AGENT, Role.DEPARTMENT_STAFF]
    )
    for i in range(plan["users"]):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        role = rng.choice(roles)
        scoped = role in (Role.SERVICE_AGENT, Role.DEPARTMENT_STAFF)
        department = (
            ("Service" if role == Role.SERVICE_AGENT else "Logistics") if scoped else "Sales"
        )
        people.append(
            {
                "username": f"{first}.{last}.{i}".lower(),
                "role": role,
                "first_name": first,
                "last_name": last,
                "password": password,
                "email": f"{first}.{last}.{i}@example.com".lower(),
                "team_id": None if scoped else teams[extra_teams[i % len(extra_teams)]],
                "department_id": departments[department],
            }
        )
    insert(User, people)
    user_pks = _pks(User, "username")
    # The named teams are led by their roster login; every other team by its first member.
    leads = {teams[team]: user_pks[username] for team, username in TEAM_LEADS.items()}
    for person in people[len(ROSTER) :]:
        if person["team_id"] is not None:
            leads.setdefault(person["team_id"], user_pks[person["username"]])
    set_column(Team, "lead_id", leads)

    def notification_rows() -> Iterator[dict[str, Any]]:
        # By position, not by primary key, so the data does not depend on the id sequences.
        for number, person in enumerate(people, start=1):
            recipient = user_pks[person["username"]]
            for n in range(plan["notices"]):
                title, body = NOTICES[(n + number) % len(NOTICES)]
                yield {
                    "recipient_id": recipient,
                    "title": title,
                    "body": body,
                    "created_at": now - timedelta(hours=n * 7 + rng.randint(0, 6)),
                }

    insert(Notification, notification_rows())
    with bulk_indexing():  # the search index is written once at the end, not row by row
        _customer_base(rng=rng, plan=plan, now=now, insert=insert, people=people, user_pks=user_pks)
    return DemoResult(rows=sum(tables.values()), users=len(people), tables=tables)
