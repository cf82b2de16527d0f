"""The catalogue the demo fleet is drawn from: people, the org tree, destinations, versions.

Names are written as people write them ("Zoë", "Łukasz", "田中"); `ascii_name` gives the
form that usernames, emails and device names use. Names in a script without a Latin
form carry their romanisation after "=" ("田中=Tanaka").
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

COMPANY = "Northwind Group"
COMPANY_REF = "NWG"
EMAIL_DOMAIN = "northwind.example"


@dataclass(frozen=True)
class Name:
    text: str
    ascii: str


_LATIN_EXTRA = str.maketrans(
    {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "æ": "ae", "Æ": "AE", "đ": "d"}
    | {"œ": "oe", "'": "", "-": "", " ": ""}
)


def ascii_name(text: str) -> str:
    """ "Søren" -> "Soren", "Łukasz" -> "Lukasz", "O'Brien" -> "OBrien"."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LATIN_EXTRA))
    return "".join(c for c in decomposed if c.isascii() and c.isalnum())


def _names(listing: str) -> tuple[Name, ...]:
    """ "Zoë, 田中=Tanaka" -> (Name("Zoë", "Zoe"), Name("田中", "Tanaka"))."""
    names = []
    for text in listing.split(","):
        shown, _, romanised = text.strip().partition("=")
        names.append(Name(shown, ascii_name(romanised or shown)))
    return tuple(names)


# Given names, then family names, by locale.
PEOPLE: dict[str, tuple[tuple[Name, ...], tuple[Name, ...]]] = {
    "en": (
        _names(
            "James, Olivia, Emma, Liam, Noah, Ava, Sophia, Michael, Sarah, David, Emily, "
            "Daniel, Grace, Zoë, Jessica, Thomas, Hannah, Ryan, Megan, Chris, Laura, "
            "Matthew, Rachel, Andrew, Chloë, Ben, Amy, Patrick, Siobhán, Oliver, "
            "Charlotte, Jack, Lucy, Ethan, Renée"
        ),
        _names(
            "Smith, Johnson, Williams, Brown, Jones, Taylor, Wilson, Davies, Evans, "
            "Thomas, Roberts, Walker, Wright, Thompson, White, Hughes, Edwards, Green, "
            "Hall, Wood, Harris, Martin, Clarke, Jackson, Lewis, Robinson, Anderson, "
            "Miller, Moore, O'Brien, Murphy, Kelly, Campbell, Stewart, Baker, Carter, "
            "Mitchell, Turner, Parker, Cooper"
        ),
    ),
    "de": (
        _names(
            "Lukas, Jonas, Leon, Finn, Lea, Anna, Hannah, Jürgen, Günther, Mia, Sophie, "
            "Felix, Maximilian, Katharina, Jörg, Sabine, Stefan, Andreas, Julia, Tobias, "
            "Lena, Björn, Ute, Matthias, Käthe"
        ),
        _names(
            "Müller, Schmidt, Schneider, Fischer, Weber, Meyer, Wagner, Becker, Schulz, "
            "Hoffmann, Schäfer, Koch, Bauer, Richter, Klein, Wolf, Schröder, Neumann, "
            "Groß, Zimmermann, Krüger, Hartmann, Lange, Köhler"
        ),
    ),
    "fr": (
        _names(
            "Léa, Chloé, Camille, Manon, Élodie, Hélène, François, Jérôme, Benoît, Théo, "
            "Louis, Gabriel, Hugo, Inès, Clément, Amélie, Noémie, Mathéo, Céline, Raphaël, "
            "Margaux, Loïc"
        ),
        _names(
            "Martin, Bernard, Dubois, Thomas, Robert, Richard, Petit, Durand, Leroy, "
            "Moreau, Simon, Laurent, Lefèvre, Girard, Bonnet, Dupont, Lambert, Fontaine, "
            "Rousseau, Gauthier, Chevalier, Mercier, Bérard"
        ),
    ),
    "da": (
        _names(
            "Søren, Mette, Anders, Kirsten, Lars, Rasmus, Freja, Ida, Magnus, Astrid, "
            "Bjørn, Signe, Mads, Sofie, Jens, Karen, Frederik, Line"
        ),
        _names(
            "Nielsen, Jensen, Hansen, Pedersen, Andersen, Christensen, Larsen, Sørensen, "
            "Rasmussen, Jørgensen, Petersen, Madsen, Kristensen, Mølgaard, Østergaard, "
            "Thomsen, Poulsen, Møller"
        ),
    ),
    "pl": (
        _names(
            "Łukasz, Paweł, Krzysztof, Tomasz, Michał, Agnieszka, Małgorzata, Katarzyna, "
            "Zofia, Wojciech, Piotr, Joanna, Anna, Grzegorz, Ewa, Bartłomiej, Magdalena, "
            "Jędrzej"
        ),
        _names(
            "Nowak, Wójcik, Kowalczyk, Mazur, Krawczyk, Kaczmarek, Zając, Król, Wróbel, "
            "Wieczorek, Dudek, Pawlak, Michalak, Sikora, Baran, Głowacz"
        ),
    ),
    "es": (
        _names(
            "José, María, Lucía, Javier, Carmen, Alejandro, Sofía, Martín, Pablo, Elena, "
            "Andrés, Inés, Íñigo, Raúl, Marta, Diego, Valentina, Sebastián, Ximena, "
            "Héctor"
        ),
        _names(
            "García, Rodríguez, González, Fernández, López, Martínez, Sánchez, Pérez, "
            "Gómez, Jiménez, Ruiz, Hernández, Díaz, Muñoz, Álvarez, Romero, Peña, "
            "Castillo, Ortega, Núñez"
        ),
    ),
    "pt": (
        _names(
            "João, Ana, Lucas, Gabriel, Beatriz, Júlia, Matheus, Luíza, Thiago, Camila, "
            "Rafael, Letícia, Gonçalo, Mariana, Vitória, Caio"
        ),
        _names(
            "Silva, Santos, Oliveira, Souza, Rodrigues, Ferreira, Alves, Pereira, Lima, "
            "Gomes, Ribeiro, Carvalho, Araújo, Conceição, Simões"
        ),
    ),
    "ja": (
        _names(
            "太郎=Taro, 花子=Hanako, 翔太=Shota, 陽菜=Hina, 健=Ken, 美咲=Misaki, "
            "大輔=Daisuke, 由美=Yumi, 拓也=Takuya, 愛=Ai, 蓮=Ren, 結衣=Yui, "
            "直樹=Naoki, さくら=Sakura"
        ),
        _names(
            "田中=Tanaka, 佐藤=Sato, 鈴木=Suzuki, 高橋=Takahashi, 伊藤=Ito, 渡辺=Watanabe, "
            "山本=Yamamoto, 中村=Nakamura, 小林=Kobayashi, 加藤=Kato, 吉田=Yoshida, 山田=Yamada"
        ),
    ),
    "sg": (
        _names(
            "Wei Ling, Jun Jie, Hui Min, Kai, Rachel, Marcus, Priya, Arjun, Siti, "
            "Nur Aisyah, Darren, Mei, Hafiz, Xin Yi"
        ),
        _names("Tan, Lim, Lee, Ng, Ong, Wong, Goh, Chua, Koh, Teo, Nair, Rahman, 陈=Chen, 林=Lin"),
    ),
    "in": (
        _names(
            "Aarav, Priya, Rahul, Ananya, Vikram, Sneha, Arjun, Kavya, Rohan, Divya, "
            "Karthik, Lakshmi, Aditi, Sanjay, Meera"
        ),
        _names(
            "Sharma, Patel, Iyer, Reddy, Nair, Rao, Gupta, Singh, Kumar, Menon, Krishnan, "
            "Joshi, Banerjee, Chatterjee"
        ),
    ),
}


@dataclass(frozen=True)
class Department:
    name: str
    cost_center: str  # two digits; the site's number completes the org ext ref
    weight: int  # relative headcount


DEPARTMENTS = {
    d.name: d
    for d in (
        Department("Engineering", "20", 24),
        Department("Sales", "30", 18),
        Department("Support", "35", 12),
        Department("Marketing", "32", 8),
        Department("IT", "60", 7),
        Department("Accounting", "41", 7),
        Department("Finance", "40", 6),
        Department("HR", "50", 4),
        Department("Legal", "45", 3),
    )
}
ALL_DEPARTMENTS = tuple(DEPARTMENTS)


@dataclass(frozen=True)
class Site:
    city: str
    code: str
    weight: int  # relative headcount
    departments: tuple[str, ...]
    lan_octet: int  # 10.<octet>.x.x inside the office
    wan_ip: str  # the office's public address


@dataclass(frozen=True)
class Country:
    name: str
    code: str
    locales: tuple[tuple[str, int], ...]  # (locale, weight) of the staff's names
    sites: tuple[Site, ...]


@dataclass(frozen=True)
class Region:
    name: str
    code: str
    cloud: str  # the destination its devices back up to first
    on_prem_server: str
    countries: tuple[Country, ...]


_SALES_OFFICE = ("Sales", "Support", "Marketing", "IT", "Accounting")
_HUB = ("Engineering", "Sales", "Support", "IT", "Accounting", "Finance", "HR")

REGIONS = (
    Region(
        "EMEA",
        "EMEA",
        cloud="Code42 Cloud EU",
        on_prem_server="nw-bkp-fra-01",
        countries=(
            Country(
                "United Kingdom",
                "UK",
                (("en", 85), ("in", 8), ("pl", 7)),
                (
                    Site("London", "LON", 14, ALL_DEPARTMENTS, 20, "203.0.113.20"),
                    Site("Manchester", "MAN", 4, _SALES_OFFICE, 21, "203.0.113.21"),
                ),
            ),
            Country(
                "Germany",
                "DE",
                (("de", 88), ("pl", 6), ("en", 6)),
                (
                    Site("Berlin", "BER", 8, _HUB, 30, "203.0.113.30"),
                    Site("München", "MUC", 5, (*_SALES_OFFICE, "Legal"), 31, "203.0.113.31"),
                ),
            ),
            Country(
                "France",
                "FR",
                (("fr", 92), ("en", 8)),
                (Site("Paris", "PAR", 6, (*_SALES_OFFICE, "Legal", "HR"), 35, "203.0.113.35"),),
            ),
            Country(
                "Denmark",
                "DK",
                (("da", 90), ("de", 5), ("en", 5)),
                (Site("København", "CPH", 4, _HUB, 40, "203.0.113.40"),),
            ),
            Country(
                "Poland",
                "PL",
                (("pl", 95), ("en", 5)),
                (
                    Site(
                        "Warszawa",
                        "WAW",
                        6,
                        ("Engineering", "Support", "IT", "Accounting"),
                        45,
                        "203.0.113.45",
                    ),
                ),
            ),
            Country(
                "Spain",
                "ES",
                (("es", 92), ("en", 8)),
                (Site("Madrid", "MAD", 3, _SALES_OFFICE, 50, "203.0.113.50"),),
            ),
        ),
    ),
    Region(
        "Americas",
        "AMER",
        cloud="Code42 Cloud US",
        on_prem_server="nw-bkp-chi-01",
        countries=(
            Country(
                "United States",
                "US",
                (("en", 76), ("es", 12), ("in", 7), ("sg", 5)),
                (
                    Site("New York", "NYC", 16, ALL_DEPARTMENTS, 60, "198.51.100.60"),
                    Site("Chicago", "CHI", 8, (*_HUB, "Legal"), 61, "198.51.100.61"),
                    Site(
                        "San Francisco",
                        "SFO",
                        9,
                        ("Engineering", "Marketing", "IT", "Sales"),
                        62,
                        "198.51.100.62",
                    ),
                    Site(
                        "Austin",
                        "AUS",
                        5,
                        ("Support", "Engineering", "IT", "Accounting"),
                        63,
                        "198.51.100.63",
                    ),
                ),
            ),
            Country(
                "Canada",
                "CA",
                (("en", 65), ("fr", 30), ("in", 5)),
                (
                    Site("Toronto", "TOR", 4, _SALES_OFFICE, 70, "198.51.100.70"),
                    Site(
                        "Montréal",
                        "MTL",
                        3,
                        ("Engineering", "Support", "IT", "Accounting"),
                        71,
                        "198.51.100.71",
                    ),
                ),
            ),
            Country(
                "Brazil",
                "BR",
                (("pt", 92), ("es", 4), ("en", 4)),
                (Site("São Paulo", "SAO", 4, _SALES_OFFICE, 75, "198.51.100.75"),),
            ),
            Country(
                "Mexico",
                "MX",
                (("es", 95), ("en", 5)),
                (
                    Site(
                        "Ciudad de México",
                        "MEX",
                        3,
                        ("Sales", "Support", "Accounting"),
                        78,
                        "198.51.100.78",
                    ),
                ),
            ),
        ),
    ),
    Region(
        "APAC",
        "APAC",
        cloud="Code42 Cloud APAC",
        on_prem_server="nw-bkp-sin-01",
        countries=(
            Country(
                "Japan",
                "JP",
                (("ja", 94), ("en", 6)),
                (
                    Site("Tokyo", "TYO", 7, _HUB, 90, "192.0.2.90"),
                    Site("Osaka", "OSA", 2, ("Sales", "Support"), 91, "192.0.2.91"),
                ),
            ),
            Country(
                "Australia",
                "AU",
                (("en", 85), ("in", 8), ("sg", 7)),
                (Site("Sydney", "SYD", 4, _SALES_OFFICE, 95, "192.0.2.95"),),
            ),
            Country(
                "Singapore",
                "SG",
                (("sg", 85), ("in", 10), ("en", 5)),
                (
                    Site(
                        "Singapore",
                        "SIN",
                        4,
                        (*_SALES_OFFICE, "Finance", "Legal"),
                        100,
                        "192.0.2.100",
                    ),
                ),
            ),
            Country(
                "India",
                "IN",
                (("in", 95), ("en", 5)),
                (
                    Site(
                        "Bengaluru",
                        "BLR",
                        8,
                        ("Engineering", "Support", "IT", "Accounting", "HR"),
                        105,
                        "192.0.2.105",
                    ),
                ),
            ),
        ),
    ),
)

# An acquired company whose org was wound down: its people left, their devices were
# deactivated and their archives wait in cold storage.
LEGACY_ORG = ("Fabrikam (acquired 2023)", "NWG-FAB", 2)

# Home and hotel networks of people working away from an office.
REMOTE_WAN_PREFIXES = ("198.51.100.", "192.0.2.", "203.0.113.")
REMOTE_LAN_PREFIXES = ("192.168.0.", "192.168.1.", "192.168.178.", "10.0.0.", "172.20.10.")
AGENT_PORT = 4242


@dataclass(frozen=True)
class DestinationSpec:
    name: str
    type: str
    servers: tuple[str, ...]


DESTINATIONS = (
    DestinationSpec("Code42 Cloud US", "cloud", ("cloud-us-west-1", "cloud-us-east-1")),
    DestinationSpec("Code42 Cloud EU", "cloud", ("cloud-eu-central-1",)),
    DestinationSpec("Code42 Cloud APAC", "cloud", ("cloud-ap-southeast-2",)),
    DestinationSpec(
        "Northwind On-Prem", "server", ("nw-bkp-chi-01", "nw-bkp-fra-01", "nw-bkp-sin-01")
    ),
    DestinationSpec("Local Folder", "local", ()),
    # Retired: its archives are kept in cold storage until they expire.
    DestinationSpec("Northwind Legacy Vault", "server", ("nw-vault-01",)),
)
LOCAL_DESTINATION = "Local Folder"
ON_PREM_DESTINATION = "Northwind On-Prem"
LEGACY_DESTINATION = "Northwind Legacy Vault"

# (osVersion, weight): what each OS reports, newest first.
OS_VERSIONS = {
    "win": (
        ("10.0.26100", 22),  # Windows 11 24H2
        ("10.0.22631", 38),  # Windows 11 23H2
        ("10.0.22621", 10),  # Windows 11 22H2
        ("10.0.19045", 28),  # Windows 10 22H2
        ("10.0.19044", 2),
    ),
    "mac": (
        ("15.1.1", 30),
        ("15.0.1", 12),
        ("14.7.1", 30),
        ("14.6.1", 10),
        ("13.7.1", 14),
        ("12.7.6", 4),
    ),
    "linux": (
        ("6.8.0-49-generic", 35),  # Ubuntu 24.04
        ("5.15.0-126-generic", 30),  # Ubuntu 22.04
        ("5.14.0-427.42.1.el9_4.x86_64", 20),  # RHEL 9
        ("6.11.5-300.fc41.x86_64", 10),  # Fedora 41
        ("6.1.0-27-amd64", 5),  # Debian 12
    ),
}
OS_SHARES = (("win", 60), ("mac", 31), ("linux", 9))

# Agent versions: devices that still connect run the recent ones; long-silent devices
# stopped updating years ago.
CURRENT_AGENTS = (("11.5.0.36", 34), ("11.4.1.12", 38), ("11.3.2.1", 18), ("11.2.1.29", 10))
OLD_AGENTS = (("11.1.0.88", 30), ("10.4.2.5", 30), ("8.8.1.36", 25), ("7.0.3.55", 15))

# Device name prefixes by OS: (prefix, weight, the macOS model for the hostname).
NAME_PREFIXES = {
    "win": (("LT", 70, ""), ("DT", 18, ""), ("DESKTOP", 12, "")),
    "mac": (("MBP", 62, "MacBook-Pro"), ("MBA", 30, "MacBook-Air"), ("IMAC", 8, "iMac")),
    "linux": (("ws", 70, ""), ("dev", 30, "")),
}

PROFILE_RESULTS = (("SUCCESS", 90), ("FAILED", 6), ("PARTIAL", 4))


# Team names under a department, for big fleets (reports.demo.environment): "Finance Payables".
TEAMS = (
    "Core", "Platform", "Operations", "Planning", "North", "South", "East", "West",
    "Central", "Projects", "Support", "Delivery", "Quality", "Programs", "Services",
    "Analytics", "Strategy", "Field", "Partners", "Enablement", "Infrastructure", "Growth",
    "Retention", "Onboarding", "Compliance", "Automation", "Research", "Tooling", "Insights",
    "Excellence", "Pipeline", "Integration", "Accounts", "Contracts", "Regional", "Global",
    "Special Projects", "Transformation", "Labs", "Reliability",
)  # fmt: skip
