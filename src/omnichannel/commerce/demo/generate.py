"""The demo shop's data, generated from a seed: Juniper & Pine, outdoor apparel and gear.

`generate(path, seed, now)` writes a fresh SQLite file with customers, products, ~1,000
orders over the 90 days before `now`, their fulfillments and payments, and promo codes.
Everything comes from `random.Random(seed)` and `now`, so the same inputs give the same
rows (`content_hash` checks that). Times are stored as ISO 8601 strings in UTC.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

DEFAULT_NOW = datetime(2026, 11, 1, 16, 0, tzinfo=UTC)
N_CUSTOMERS = 300
N_ORDERS = 1000
HISTORY_DAYS = 90
CURRENCY = "USD"  # ISO 4217; every price in the file is in it
# The default [guardrails] max_refund_per_order: one recent delivery costs more, so the demo
# can show a refund that waits for staff approval.
BIG_ORDER = 500.0
RECENT_DAYS = 14

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE customers (id TEXT PRIMARY KEY, first_name TEXT, last_name TEXT, email TEXT UNIQUE,
  phone TEXT, phone_digits TEXT, address1 TEXT, address2 TEXT, city TEXT, state TEXT,
  country TEXT, zip TEXT, zip_key TEXT);
CREATE INDEX customers_zip ON customers (zip_key);
CREATE INDEX customers_phone ON customers (phone_digits);
CREATE TABLE payment_methods (id TEXT PRIMARY KEY, customer_id TEXT REFERENCES customers (id),
  position INTEGER, source TEXT, brand TEXT, last_four TEXT, balance REAL);
CREATE INDEX payment_methods_customer ON payment_methods (customer_id);
CREATE TABLE products (id TEXT PRIMARY KEY, name TEXT, category TEXT, description TEXT,
  option_names TEXT);
CREATE TABLE variants (item_id TEXT PRIMARY KEY, product_id TEXT REFERENCES products (id),
  position INTEGER, options TEXT, price REAL, stock INTEGER, listed INTEGER);
CREATE INDEX variants_product ON variants (product_id);
CREATE TABLE orders (id TEXT PRIMARY KEY, customer_id TEXT REFERENCES customers (id),
  status TEXT, created_at TEXT, shipping_service TEXT, address1 TEXT, address2 TEXT, city TEXT,
  state TEXT, country TEXT, zip TEXT, cancel_reason TEXT, return_items TEXT,
  return_payment_method_id TEXT, exchange_items TEXT, exchange_new_items TEXT,
  exchange_payment_method_id TEXT, exchange_price_difference REAL);
CREATE INDEX orders_customer ON orders (customer_id, created_at);
CREATE TABLE order_items (order_id TEXT REFERENCES orders (id), position INTEGER,
  product_id TEXT, item_id TEXT, name TEXT, price REAL, options TEXT,
  PRIMARY KEY (order_id, position));
CREATE TABLE fulfillments (order_id TEXT REFERENCES orders (id), position INTEGER,
  carrier TEXT, tracking_ids TEXT, item_ids TEXT, tracking_url TEXT, shipped_at TEXT,
  estimated_delivery TEXT, delivered_at TEXT, PRIMARY KEY (order_id, position));
CREATE TABLE payments (order_id TEXT REFERENCES orders (id), position INTEGER,
  transaction_type TEXT, amount REAL, payment_method_id TEXT, created_at TEXT,
  PRIMARY KEY (order_id, position));
CREATE TABLE promos (code TEXT PRIMARY KEY, description TEXT, percent_off REAL, amount_off REAL,
  min_subtotal REAL, expires_at TEXT, active INTEGER, once_per_customer INTEGER);
CREATE TABLE idempotency_keys (key TEXT PRIMARY KEY, operation TEXT, fingerprint TEXT,
  result TEXT, created_at TEXT);
"""

TABLES = ("meta", "customers", "payment_methods", "products", "variants", "orders",
          "order_items", "fulfillments", "payments", "promos", "idempotency_keys")

CARRIER_URLS = {
    "UPS": "https://www.ups.com/track?tracknum={}",
    "USPS": "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
    "FedEx": "https://www.fedex.com/fedextrack/?trknbr={}",
    "Canada Post": "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor={}",
}

# Two lines a product: "name | category | base price | options", then its description.
# Options: "dimension=value,value+price delta;...".
_CATALOGUE = """
Ridgeline Rain Jacket | jackets | 169 | {APP};color=black,spruce green,lake blue,rust
Three-layer waterproof, breathable shell with taped seams, pit zips and a helmet-fit hood.
Alder Insulated Parka | jackets | 229 | {APP};color=black,navy,ochre
Hip-length winter parka with synthetic insulation that stays warm when damp and a fleece hood.
Cascade Down Jacket | jackets | 199 | {APP};color=black,plum,slate;{FIT}
Light 650-fill down jacket with a water-repellent shell that stuffs into its own pocket.
Highpoint Softshell Jacket | jackets | 139 | {APP};color=charcoal,olive,navy
Stretchy, wind-resistant softshell for hiking and climbing in cool, dry weather.
Timberline Fleece Jacket | fleece | 89 | {APP};color=heather gray,spruce green,sand
Midweight full-zip fleece made from recycled polyester, warm around camp and as a mid layer.
Switchback Quarter-Zip Fleece | fleece | 69 | {APP};color=rust,navy,heather gray
Grid fleece pullover that traps heat and dries fast, with a quarter zip for venting on climbs.
Glacier Down Vest | jackets | 119 | {APP};color=black,lake blue,ochre
650-fill down vest that adds core warmth without bulk, with zippered hand pockets.
Windrider Wind Shell | jackets | 79 | {APP};color=lime,slate,coral
Ultralight wind jacket under four ounces that packs to the size of an apple and sheds drizzle.
Merino 200 Crew Base Layer | base layers | 75 | {APP};color=black,charcoal;{FIT}
Long-sleeve crew in soft merino wool that wicks sweat, resists odor and stays warm when wet.
Merino 200 Base Layer Bottoms | base layers | 70 | {APP};color=black,charcoal;{FIT}
Merino wool long underwear with a flat waistband that sits comfortably under a hip belt.
Thermal Grid Hoodie | base layers | 85 | {APP};color=ochre,navy,heather gray
Fitted grid-fleece hoodie with thumb loops and a balaclava-style hood for cold mornings.
Trailhead Hiking Pants | pants | 79 | waist=28,30,32,34,36,38,40;inseam=30,32,34;color=khaki,olive
Stretch nylon hiking pants with a gusseted crotch, a zippered thigh pocket and UPF 50.
Convertible Zip-Off Pants | pants | 85 | waist=28,30,32,34,36,38;inseam=30,32;color=khaki,slate
Quick-drying hiking pants whose legs zip off into shorts for long, changeable days.
Summit Rain Pants | pants | 109 | {APP};color=black,slate
Waterproof, breathable rain pants with full-length side zips to pull on over boots.
Scramble Hiking Shorts | shorts | 49 | {APP};color=khaki,olive,navy,black
Seven-inch stretch hiking shorts with a built-in belt and a zippered phone pocket.
Pinecrest Flannel Shirt | shirts | 59 | {APP};color=red plaid,green plaid,blue plaid
Brushed organic cotton flannel shirt with a relaxed fit for cool evenings by the fire.
Solstice Sun Hoodie | shirts | 55 | {APP};color=white,sky blue,sage;{FIT}
Lightweight UPF 50 hoodie that keeps the sun off your neck and arms and dries in minutes.
Juniper Logo Camp Tee | shirts | 28 | {APP};color=white,pine,sand,black
Organic cotton t-shirt printed with our juniper branch logo. Soft, durable and pre-shrunk.
Trailblazer Leggings | pants | 65 | size=XS,S,M,L,XL;color=black,plum,charcoal;length=7/8,full+5
High-rise leggings in abrasion-resistant fabric with side pockets that hold a phone.
Canyon Sun Hat | accessories | 34 | size=S/M,L/XL;color=sand,olive,khaki
Wide-brim UPF 50 sun hat with a mesh vent band and a chin strap that stays put in the wind.
Lodge Knit Beanie | accessories | 26 | style=cuffed,slouch;color=rust,charcoal,cream
Warm rib-knit beanie hat in a merino wool blend that doesn't itch.
Ridge Waterproof Gloves | accessories | 49 | size=XS,S,M,L,XL;color=black,slate
Insulated waterproof gloves with grippy palms and touchscreen-friendly fingertips.
Hiker Merino Crew Socks | socks | 19 | size=S,M,L,XL;cushion=light,medium+2;color=charcoal,rust
Merino wool hiking socks with targeted cushioning and a seamless toe against blisters.
Bearclaw Hiking Boots | footwear | 189 | {BOOT};{WIDE};color=brown,black
Full-grain leather backpacking boots with a waterproof membrane and a lugged outsole.
Ridgeback Mid Waterproof Boots | footwear | 159 | {BOOT};{WIDE};color=slate,moss
Lightweight mid-height hiking boots that need no break-in, with a waterproof lining.
Scree Trail Runners | footwear | 139 | {BOOT};{WIDE};color=black,lake blue,coral
Nimble trail running shoes with a rock plate, sticky rubber lugs and a roomy toe box.
Riverstone Sandals | footwear | 69 | {BOOT};color=black,olive,sand
Adjustable strap sandals with a grippy sole for river crossings, camp and hot-weather hikes.
Hearth Down Booties | footwear | 49 | size=S,M,L,XL;color=rust,charcoal
Down-filled camp booties with a durable sole for stepping out of the tent without cold feet.
Tundra Winter Boots | footwear | 179 | {BOOT};{WIDE};color=black,brown
Insulated winter boots with a waterproof rubber shell and a removable felt liner.
Scree Trail Gaiters | accessories | 39 | size=S/M,L/XL;color=black,lake blue,coral
Low, breathable gaiters that keep sand, grit and snow out of your shoes.
Wayfinder Daypack | packs | 99 | capacity=22L,28L+10;color=black,spruce green,rust
Everyday hiking daypack with a ventilated back panel, a hydration sleeve and a stretch pocket.
Backcountry Backpack | packs | 249 | torso=S,M,L;capacity=55L,65L+30;color=slate,rust
Multi-day backpacking pack with an adjustable suspension and a padded hip belt.
Trail Running Vest | packs | 109 | size=XS/S,M/L,XL;color=black,coral
Snug 10-liter running vest with two soft flasks and plenty of chest pockets.
Roamer Duffel | packs | 129 | capacity=40L,70L+20,95L+40;color=black,ochre,pine
Rugged, water-resistant duffel bag with padded straps that turn it into a backpack.
Storm Dry Bag | packs | 24 | capacity=5L,10L+4,20L+8,35L+14;color=yellow,blue,black
Roll-top dry bag with welded seams that keeps gear dry on the water and in the rain.
Trekker Hip Pack | packs | 39 | capacity=2L,4L+6;color=black,sand,rust
Hip pack with a water-resistant zip, an internal organizer and a bottle pocket.
Starwatch Backpacking Tent | tents | 349 | sleeps=1,2+60,3+130;color=green,orange
Freestanding three-season tent with two doors, a full rain fly and a quick clip setup.
Basecamp Family Tent | tents | 479 | capacity=4-person,6-person+120;color=green,sand
Roomy cabin-style camping tent with near-vertical walls, a big vestibule and a room divider.
Alpine Down Sleeping Bag | sleeping | 289 | temperature=30F,15F+60,0F+120;length=regular,long+25
Mummy sleeping bag with 800-fill water-resistant down, a draft collar and a contoured hood.
Campfire Synthetic Sleeping Bag | sleeping | 129 | temperature=40F,20F+30;color=blue,rust
Roomy synthetic sleeping bag that stays warm when damp; great for car camping and cabins.
Cloudrest Sleeping Pad | sleeping | 139 | size=regular,long+20,wide long+40;color=orange,lake blue
Insulated inflatable sleeping pad (R-value 4.2) with a quiet, crinkle-free fabric.
Drift Camp Pillow | sleeping | 35 | size=regular,large+8;color=gray,pine,coral
Inflatable camp pillow with a soft brushed cover that packs to the size of a fist.
Carbon Trekking Poles | gear | 149 | length=110 cm,120 cm,130 cm;grip=cork,foam-10
Three-section carbon fiber trekking poles with flick locks. Sold as a pair.
Beacon Headlamp | gear | 49 | power=rechargeable,AAA battery-8;color=black,orange,teal
400-lumen headlamp with a red night mode, a lockout for your pack and a waterproof housing.
Insulated Trail Bottle | gear | 32 | capacity=600 ml,750 ml+4,1 L+8;color=black,spruce green,coral
Double-wall stainless steel water bottle that keeps drinks cold for 24 hours or hot for 12.
Clearwater Water Filter | gear | 45 | kit=squeeze,gravity+30;capacity=1 L,2 L+6
Hollow-fiber water filter that removes bacteria and protozoa; fits most bottles.
Ember Camp Stove | cooking | 69 | kit=stove only,stove and pot+35;ignition=manual,push-button+10
Compact canister stove that boils a liter of water in about four minutes.
Titanium Cook Pot | cooking | 59 | capacity=750 ml,1.1 L+12;lid=plain,strainer+5
Ultralight titanium cook pot with folding handles and measurement marks inside.
Lakeside Camp Chair | camp furniture | 79 | size=regular,tall+20;color=navy,olive,rust
Packable camp chair with an aluminum frame, a breathable seat and a cup holder.
Canopy Hammock | camp furniture | 69 | size=single,double+20;color=pine,sky blue,ochre
Parachute nylon hammock with tree-friendly straps that sets up in two minutes.
Trailside Camp Blanket | camp furniture | 89 | size=throw,double+30;color=plaid,charcoal,rust
Insulated, water-resistant blanket for picnics, cold bleachers and camp.
Summit Polarized Sunglasses | accessories | 79 | lens=gray,mirrored blue+20;frame=black,tortoise
Lightweight polarized sunglasses with wraparound coverage and full UV protection.
Cedar Camp Lantern | gear | 45 | power=rechargeable,solar+15;color=forest,sand
Collapsible LED lantern with warm and bright modes that can also charge your phone.
Sprout Kids' Rain Jacket | kids | 69 | size=4,6,8,10,12,14;color=yellow,red,lake blue
Durable waterproof rain jacket for kids with reflective trim and room to grow.
Fleece Neck Gaiter | accessories | 19 | fabric=midweight,heavyweight+4;color=black,rust,pine
Soft stretch fleece tube to wear as a neck warmer, a headband or a face cover.
""".format(APP="size=XS,S,M,L,XL,XXL+5", BOOT="size=7,8,9,10,11,12,13", WIDE="width=regular,wide",
           FIT="fit=men's,women's")
_LINES = _CATALOGUE.strip().splitlines()
# name, category, base price, options, description
CATALOGUE = tuple((*(x.strip() for x in head.split(" | ")), body)
                  for head, body in zip(_LINES[::2], _LINES[1::2], strict=True))

FIRST_NAMES = (
    "Ann Ben Chloe Diego Elena Farid Grace Hiro Isla Jamal Kai Leah Mateo Nadia Omar Priya "
    "Quinn Rosa Sam Talia Uma Victor Wen Xavier Yara Zoe Aaron Bianca Caleb Daria Emeka Fiona "
    "Gabriel Hana Ivan Julia Kofi Lucia Marcus Noor Owen Paloma Rafael Sofia Theo Valentina "
    "Will Ximena Yusuf Zara Amara Brooke Connor Dev Esme Felix Gwen Hugo Ingrid Jonah Keiko "
    "Liam Maya Nico Olivia Pierre Ruby Sean Tessa").split()
LAST_NAMES = (
    "Lee Nguyen Patel Garcia Kim Okafor Martin Rossi Cohen Silva Tremblay Gagnon Roy Wong "
    "Singh Johnson Brown Davis Lopez Hughes Clarke Murphy Schmidt Novak Park Tanaka Ali Haddad "
    "Ortiz Reyes Fraser Campbell Walsh Bergeron Leblanc Chen Wu Morales Kowalski Andersen "
    "Larsen Moreau Bianchi Costa Mendes Adeyemi Mensah Ivanova Petrov Yilmaz Sato Hill Baker "
    "Young Turner Price Bell Ward Fox Stone Rivers Marsh Castillo Dubois Kaur Nakamura O'Brien "
    "MacLeod").split()
STREETS = (
    "Cedar Street", "Maple Avenue", "Lakeview Drive", "Aspen Court", "Ridge Road", "Birch Lane",
    "Willow Way", "Summit Avenue", "Riverside Drive", "Hemlock Street", "Forest Road",
    "Highland Avenue", "Elm Street", "Pine Street", "Spruce Lane", "Orchard Road",
    "Meadow Lane", "Harbor View Road", "Mill Street", "Granite Way")


def _rows(text: str) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(row.strip().split("|")) for row in text.split(";") if row.strip())


# city|state|ZIP prefix|area code, then city|province|postal code letter|area code
US_CITIES = _rows("""
Seattle|WA|981|206; Portland|OR|972|503; Boise|ID|837|208; Denver|CO|802|303;
Boulder|CO|803|720; Salt Lake City|UT|841|801; Bozeman|MT|597|406; Bend|OR|977|541;
San Francisco|CA|941|415; Sacramento|CA|958|916; Los Angeles|CA|900|213; San Diego|CA|921|619;
Phoenix|AZ|850|602; Flagstaff|AZ|860|928; Santa Fe|NM|875|505; Austin|TX|787|512;
Minneapolis|MN|554|612; Madison|WI|537|608; Chicago|IL|606|312; Ann Arbor|MI|481|734;
Asheville|NC|288|828; Atlanta|GA|303|404; Burlington|VT|054|802; Portland|ME|041|207;
Boston|MA|021|617; Brooklyn|NY|112|718; Pittsburgh|PA|152|412; Richmond|VA|232|804;
Anchorage|AK|995|907; Missoula|MT|598|406;
""")
CA_CITIES = _rows("""
Vancouver|BC|V|604; Victoria|BC|V|250; Calgary|AB|T|403; Edmonton|AB|T|780;
Canmore|AB|T|403; Toronto|ON|M|416; Ottawa|ON|K|613; Montreal|QC|H|514;
Quebec City|QC|G|418; Halifax|NS|B|902; Winnipeg|MB|R|204; Whitehorse|YT|Y|867;
""")
_POSTAL_LETTERS = "ABCEGHJKLMNPRSTVWXYZ"

Row = tuple[Any, ...]


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="seconds")


def as_utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def zip_key(code: str) -> str:
    return "".join(code.split()).upper()


def phone_key(phone: str) -> str:
    digits = "".join(c for c in phone if c.isdigit())
    return "1" + digits if len(digits) == 10 else digits


def add_business_days(dt: datetime, days: int) -> datetime:
    while days > 0:
        dt += timedelta(days=1)
        if dt.weekday() < 5:
            days -= 1
    return dt


def _next_business_day(dt: datetime) -> datetime:
    while dt.weekday() >= 5:
        dt += timedelta(days=1)
    return dt


def _check_digit(values: list[int], odd_weight: int, even_weight: int) -> str:
    """Mod-10 check digit; weights alternate starting from the rightmost value."""
    total = sum(v * (odd_weight if i % 2 == 0 else even_weight)
                for i, v in enumerate(reversed(values)))
    return str((10 - total % 10) % 10)


def tracking_number(rng: random.Random, carrier: str, ups_account: str, express: bool) -> str:
    if carrier == "UPS":  # 1Z + account + service + reference + check digit (18 chars)
        body = ups_account + ("02" if express else "03") + f"{rng.randrange(10**7):07d}"
        values = [int(c) if c.isdigit() else (ord(c) - ord("A") + 2) % 10 for c in body]
        return "1Z" + body + _check_digit(values, 2, 1)
    if carrier == "USPS":  # 22-digit IMpb starting 9400 (Priority Mail) with check digit
        body = "9400" + f"{rng.randrange(10**17):017d}"
        return body + _check_digit([int(c) for c in body], 3, 1)
    if carrier == "FedEx":
        return str(rng.randrange(10**11, 10**12))  # 12 digits
    return f"{rng.randrange(10**15):016d}"  # Canada Post domestic parcel: 16 digits


def _value(raw: str) -> tuple[str, float]:
    """'long+25' -> ('long', 25.0); 'foam-10' -> ('foam', -10.0); '1-person' unchanged."""
    for sign in "+-":
        head, sep, tail = raw.rpartition(sign)
        if sep and head and tail.replace(".", "").isdigit():
            return head, float(sign + tail)
    return raw, 0.0


def _options(spec: str) -> list[tuple[str, list[tuple[str, float]]]]:
    dims = []
    for part in spec.split(";"):
        name, values = part.split("=")
        dims.append((name, [_value(raw) for raw in values.split(",")]))
    return dims


class _Gen:
    def __init__(self, seed: int, now: datetime) -> None:
        self.rng = random.Random(seed)
        self.now = now
        self.used: set[str] = set()
        self.rows: dict[str, list[Row]] = {t: [] for t in TABLES}

    def uid(self, prefix: str, low: int, high: int) -> str:
        while True:
            value = f"{prefix}{self.rng.randint(low, high)}"
            if value not in self.used:
                self.used.add(value)
                return value

    def digits(self, n: int) -> str:
        return self.uid("", 10 ** (n - 1), 10**n - 1)

    def address(self, country: str | None = None) -> tuple[str, ...]:
        rng = self.rng
        canada = country == "Canada" if country else rng.random() < 0.2
        street = f"{rng.randint(12, 9899)} {rng.choice(STREETS)}"
        unit = rng.choice(["", "", "", f"Apt {rng.randint(1, 30)}{rng.choice('ABCD')}",
                           f"Suite {rng.randint(100, 900)}", f"Unit {rng.randint(2, 40)}"])
        if canada:
            city, prov, letter, area = rng.choice(CA_CITIES)
            l2, l3 = rng.choice(_POSTAL_LETTERS), rng.choice(_POSTAL_LETTERS)
            code = f"{letter}{rng.randint(1, 9)}{l2} {rng.randint(0, 9)}{l3}{rng.randint(0, 9)}"
            return street, unit, city, prov, "Canada", code, area
        city, state, prefix, area = rng.choice(US_CITIES)
        return street, unit, city, state, "USA", f"{prefix}{rng.randint(1, 99):02d}", area

    def products(self) -> list[tuple[str, str, list[tuple[str, float, str]]]]:
        rng, out = self.rng, []
        sold_out = set(rng.sample(range(len(CATALOGUE)), 3))
        for index, (name, category, base_price, spec, description) in enumerate(CATALOGUE):
            base = float(base_price)
            pid = self.digits(10)
            dims = _options(spec)
            combos: list[list[tuple[str, str, float]]] = [[]]
            for dim, values in dims:
                combos = [c + [(dim, v, d)] for c in combos for v, d in values]
            picked = sorted(rng.sample(range(len(combos)), rng.randint(4, min(12, len(combos)))))
            self.rows["products"].append(
                (pid, name, category, description, json.dumps([d for d, _ in dims])))
            variants = []
            for position, ci in enumerate(picked):
                combo = combos[ci]
                price = round(base + sum(d for _, _, d in combo), 2)
                stock = 0 if index in sold_out or rng.random() < 0.12 else rng.randint(1, 40)
                listed = 0 if rng.random() < 0.04 else 1
                item_id = self.digits(10)
                opts = json.dumps([[k, v] for k, v, _ in combo])
                self.rows["variants"].append((item_id, pid, position, opts, price, stock, listed))
                variants.append((item_id, price, opts))
            out.append((pid, name, variants))
        return out

    def customers(self) -> list[tuple[str, tuple[str, ...], list[tuple[str, str, float]]]]:
        rng, out = self.rng, []
        emails: set[str] = set()
        phones: set[str] = set()
        for _ in range(N_CUSTOMERS):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            slug = f"{first}.{last}".lower().replace("'", "")
            email = f"{slug}@example.com"
            while email in emails:
                email = f"{slug}{rng.randint(2, 99)}@example.com"
            emails.add(email)
            cid = self.uid(slug.replace(".", "_") + "_", 1000, 9999)
            addr = self.address()
            phone = None
            if rng.random() < 0.65:
                phone = f"+1{addr[6]}5550{rng.randint(100, 199)}"
                while phone in phones:
                    phone = f"+1{addr[6]}5550{rng.randint(100, 199)}"
                phones.add(phone)
            self.rows["customers"].append(
                (cid, first, last, email, phone, phone_key(phone) if phone else None,
                 *addr[:6], zip_key(addr[5])))
            methods = []
            sources = ["credit_card" if rng.random() < 0.7 else "paypal"]
            sources += rng.choices(["credit_card", "paypal", "gift_card"], [4, 2, 3],
                                   k=rng.choices([0, 1, 2], [5, 3, 2])[0])
            for position, source in enumerate(sources):
                if source == "paypal" and "paypal" in sources[:position]:
                    source = "gift_card"
                pm = self.uid(source + "_", 1000000, 9999999)
                brand = last4 = balance = None
                if source == "credit_card":
                    brand = rng.choices(["visa", "mastercard", "amex"], [10, 7, 3])[0]
                    last4 = f"{rng.randrange(10000):04d}"
                elif source == "gift_card":
                    balance = round(rng.uniform(0, 260), 2)
                self.rows["payment_methods"].append(
                    (pm, cid, position, source, brand, last4, balance))
                methods.append((pm, source, balance or 0.0))
            out.append((cid, addr, methods))
        return out

    def orders(self, products: list[Any], customers: list[Any]) -> None:
        rng, now = self.rng, self.now
        ups_account = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXY0123456789") for _ in range(6))
        popularity = [rng.uniform(0.2, 1.0) ** 2 for _ in products]
        activity = [rng.uniform(0.05, 1.0) ** 2 for _ in customers]
        created = sorted(now - timedelta(seconds=rng.uniform(0, HISTORY_DAYS * 86400))
                         for _ in range(N_ORDERS))
        number = 204117
        for when in created:
            number += rng.randint(1, 3)
            self.order(f"#JP{number}", when.replace(microsecond=0), products, popularity,
                       rng.choices(customers, activity)[0], ups_account)

    def order(self, oid: str, created: datetime, products: list[Any], popularity: list[float],
              customer: Any, ups_account: str) -> None:
        rng, now = self.rng, self.now
        cid, home, methods = customer
        addr = home if rng.random() < 0.9 else self.address(home[4])
        count = rng.choices([1, 2, 3, 4], [50, 30, 15, 5])[0]
        items: list[Row] = []
        for n in dict.fromkeys(rng.choices(range(len(products)), popularity, k=count)):
            pid, name, variants = products[n]
            item_id, price, opts = rng.choice(variants)
            items.append((oid, len(items), pid, item_id, name, price, opts))
        total = round(sum(i[5] for i in items), 2)
        pm = rng.choice([m for m in methods if m[1] != "gift_card" or m[2] >= total])[0]
        pays = [("payment", total, pm, created)]
        canada = addr[4] == "Canada"
        express = not canada and rng.random() < 0.15
        status, cancel_reason, extra = "pending", None, dict[str, Any]()
        ready = created + timedelta(days=rng.uniform(0.5, 2.0))
        shipped = _next_business_day(ready + timedelta(hours=rng.uniform(4, 30)))
        fulfillments: list[Row] = []
        if rng.random() < 0.06 and created + (ready - created) / 2 <= now:
            status = "cancelled"
            cancel_reason = rng.choice(["no longer needed", "ordered by mistake"])
            pays.append(("refund", total, pm, created + (ready - created) / 2))
        elif ready <= now < shipped:
            status = "processed"
        elif shipped <= now:
            status = self.ship(oid, items, shipped, canada, express, ups_account, fulfillments)
            for f in fulfillments:  # a goodwill credit on some late deliveries
                if f[8] and f[8] > f[7] and rng.random() < 0.35:
                    pays.append(("refund", round(total * 0.1, 2), pm,
                                 datetime.fromisoformat(f[8]) + timedelta(days=1)))
            last = max((f[8] or "") for f in fulfillments)
            if status == "delivered" and now - datetime.fromisoformat(last) < timedelta(days=25):
                status, extra = self.after_delivery(items, products, pm)
        self.rows["orders"].append((
            oid, cid, status, iso(created), "express" if express else "standard", *addr[:6],
            cancel_reason, extra.get("return_items", "[]"), extra.get("return_payment_method_id"),
            extra.get("exchange_items", "[]"), extra.get("exchange_new_items", "[]"),
            extra.get("exchange_payment_method_id"), extra.get("exchange_price_difference")))
        self.rows["order_items"].extend(items)
        self.rows["fulfillments"].extend(fulfillments)
        self.rows["payments"].extend((oid, n, kind, amount, method, iso(at))
                                     for n, (kind, amount, method, at) in enumerate(pays))

    def ship(self, oid: str, items: list[Row], shipped: datetime, canada: bool, express: bool,
             ups_account: str, out: list[Row]) -> str:
        """Packages (sometimes two) with carrier, tracking, estimate and, once arrived, the
        delivery time; a few arrive late. Returns the order's status."""
        rng, now = self.rng, self.now
        if canada:
            carrier = rng.choices(["Canada Post", "UPS", "FedEx"], [75, 15, 10])[0]
        else:
            carrier = rng.choices(["USPS", "UPS", "FedEx"], [1, 4, 3] if express else [9, 7, 4])[0]
        groups = [list(range(len(items)))]
        if len(items) > 1 and rng.random() < 0.15:
            cut = rng.randint(1, len(items) - 1)
            groups = [groups[0][:cut], groups[0][cut:]]
        delivered_all = True
        for g, group in enumerate(groups):
            sent = add_business_days(shipped, g)
            if sent > now:
                delivered_all = False
                continue
            days = rng.randint(1, 2) if express else rng.randint(5, 10) if canada else (
                rng.randint(3, 5))
            estimate = add_business_days(sent, days).replace(hour=23, minute=59, second=0)
            luck = rng.random()
            if luck < 0.1:  # late: most by a few days, some by one or two weeks
                arrive = estimate + timedelta(days=rng.randint(1, 4) if luck < 0.08 else
                                              rng.randint(5, 12))
            else:
                arrive = max(add_business_days(sent, 1),
                             estimate - timedelta(days=rng.choice([0, 0, 0, 1, 1, 2])))
            arrive = arrive.replace(hour=rng.randint(14, 23), minute=rng.randint(0, 59))
            delivered_all = delivered_all and arrive <= now
            tracking = tracking_number(rng, carrier, ups_account, express)
            out.append((oid, g, carrier, json.dumps([tracking]),
                        json.dumps([items[i][3] for i in group]),
                        CARRIER_URLS[carrier].format(tracking), iso(sent), iso(estimate),
                        iso(arrive) if arrive <= now else None))
        return "delivered" if delivered_all else "shipped"

    def after_delivery(self, items: list[Row], products: list[Any],
                       pm: str) -> tuple[str, dict[str, Any]]:
        """A few recent deliveries already have a return or an exchange requested."""
        rng, luck = self.rng, self.rng.random()
        if luck < 0.07:
            returned = [i[3] for i in rng.sample(items, rng.randint(1, len(items)))]
            return "return requested", {"return_items": json.dumps(returned),
                                        "return_payment_method_id": pm}
        if luck < 0.10:
            old = rng.choice(items)
            variants = next(p for p in products if p[0] == old[2])[2]
            new = rng.choice([v for v in variants if v[0] != old[3]])
            return "exchange requested", {
                "exchange_items": json.dumps([old[3]]), "exchange_new_items": json.dumps([new[0]]),
                "exchange_payment_method_id": pm,
                "exchange_price_difference": round(new[1] - old[5], 2)}
        return "delivered", {}

    def big_delivery(self, products: list[Any]) -> None:
        """Make sure a delivery of the last RECENT_DAYS days costs more than BIG_ORDER: if none
        does, the latest delivery gets the priciest items added until it does."""
        totals: dict[str, float] = {}
        for item in self.rows["order_items"]:
            totals[item[0]] = totals.get(item[0], 0.0) + item[5]
        arrived: dict[str, list[str | None]] = {}
        for f in self.rows["fulfillments"]:
            arrived.setdefault(f[0], []).append(f[8])
        orders = {o[0]: o for o in self.rows["orders"]}
        # Latest first, to a US address first (the demo's Canadian shopper is someone else).
        delivered = sorted(((orders[oid][9] == "USA", max(str(d) for d in dates), oid)
                            for oid, dates in arrived.items()
                            if all(dates) and orders[oid][2] == "delivered"), reverse=True)
        since = iso(self.now - timedelta(days=RECENT_DAYS))
        if not delivered or any(totals[oid] > BIG_ORDER for _, at, oid in delivered
                                if at >= since):
            return
        oid = delivered[0][2]
        items = [i for i in self.rows["order_items"] if i[0] == oid]
        have = {i[2] for i in items}
        pricey = sorted(((max(v[1] for v in variants), pid, name, variants)
                         for pid, name, variants in products if pid not in have), reverse=True)
        added: list[Row] = []
        total = totals[oid]
        for _, pid, name, variants in pricey:
            if total > BIG_ORDER:
                break
            item_id, price, opts = max(variants, key=lambda v: v[1])
            added.append((oid, len(items) + len(added), pid, item_id, name, price, opts))
            total += price
        at = next(n for n, i in enumerate(self.rows["order_items"]) if i[0] == oid) + len(items)
        self.rows["order_items"][at:at] = added
        rows = self.rows["fulfillments"]
        last = max(n for n, f in enumerate(rows) if f[0] == oid)
        ids = json.loads(rows[last][4]) + [a[3] for a in added]
        rows[last] = (*rows[last][:4], json.dumps(ids), *rows[last][5:])
        pays = self.rows["payments"]
        first = next(n for n, p in enumerate(pays) if p[0] == oid)
        pays[first] = (*pays[first][:3], round(total, 2), *pays[first][4:])

    def promos(self) -> None:
        day = timedelta(days=1)
        self.rows["promos"].extend([
            ("WELCOME10", "10% off your first order", 10.0, 0.0, 0.0, None, 1, 1),
            ("TRAIL25", "$25 off orders of $150 or more", 0.0, 25.0, 150.0,
             iso(self.now + 45 * day), 1, 0),
            ("LAYERUP15", "15% off orders of $75 or more during our fall layering event", 15.0,
             0.0, 75.0, iso(self.now + 12 * day), 1, 0),
            ("NEWSLETTER5", "$5 off orders over $40 for newsletter subscribers", 0.0, 5.0, 40.0,
             iso(self.now + 90 * day), 1, 1),
            ("SUMMIT30", "$30 off orders of $200 or more (summer sale, ended)", 0.0, 30.0, 200.0,
             iso(self.now - 40 * day), 1, 0),
            ("FRIENDS20", "20% off for friends and family (retired)", 20.0, 0.0, 0.0, None, 0,
             0),
        ])


def generate(path: Path, seed: int = 7, now: datetime | None = None) -> None:
    """Write the demo shop to `path` (replacing it), from `seed` and `now`."""
    now = as_utc(now or DEFAULT_NOW).replace(microsecond=0)
    gen = _Gen(seed, now)
    gen.rows["meta"].extend([("seed", str(seed)), ("now", iso(now)), ("schema", "1"),
                             ("currency", CURRENCY)])
    products = gen.products()
    gen.orders(products, gen.customers())
    gen.big_delivery(products)
    gen.promos()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp)
    try:
        conn.executescript(SCHEMA)
        with conn:
            for table, rows in gen.rows.items():
                if rows:
                    marks = ",".join("?" * len(rows[0]))
                    conn.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
    finally:
        conn.close()
    os.replace(tmp, path)


def content_hash(path: Path) -> str:
    """SHA-256 over every table's rows in insertion order: equal data, equal hash."""
    digest = hashlib.sha256()
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        for table in TABLES:
            digest.update(table.encode())
            for row in conn.execute(f"SELECT * FROM {table} ORDER BY rowid"):
                digest.update(json.dumps(row).encode())
    finally:
        conn.close()
    return digest.hexdigest()
