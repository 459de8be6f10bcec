"""Scripted shoppers: deterministic customers for the τ-bench retail tasks, and the driver
that walks one through a conversation with the gateway over the loopback channel.

A shopper's facts come from the task's gold `actions` and `user_id` plus the data files
(users.json, orders.json, products.json), never from the instruction text. Each gold write
becomes one natural request carrying all of its facts in one message; the first message also
carries the shopper's identity. The phrasings are the conventions agreed with the built-in
engine (key words it parses):

- cancel:   "Please cancel order #W5442520, I no longer need it."
- return:   "I'd like to return the Electric Kettle and the Wall Clock from order #W6067464.
             Please refund it to my PayPal."
- exchange: "From order #W7273336 I'd like to exchange the Gaming Mouse for one with color
             white, sensor type optical, connectivity wireless. Any price difference goes to
             my PayPal."
- modify items:    "For my pending order #W..., please change the Gaming Mouse to one with ...
                    Use my gift card for the price difference."
- modify address:  "Please change the shipping address of order #W... to 123 Main St, Suite 4,
                    Springfield, IL 62704, USA."
- modify payment:  "Please pay for order #W... with my gift card instead."
- user address:    "Please update my default address to ..."
- transfer:        "Can I talk to a person?"

Items are named by product name, with their options in parentheses when the order holds
two items of that name; a new item is described by its full option set in products.json's
key order. Payment methods: "my PayPal", "my gift card", "my visa ending in 1234".

With `describe_orders=True` the shopper never says an order number: each "order #W..." above
becomes "my order with the Wireless Earbuds" (the fewest item names that tell it from the
user's other orders, see `describe_order`), "which order?" gets that description again, and
the shopper always verifies by name and zip code (an email needs an order number).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations
from pathlib import Path
from typing import Any

Raw = dict[str, Any]

READ_ONLY_PREFIXES = ("get_", "find_", "list_")
READ_ONLY = ("calculate", "think")
TRANSFER = "transfer_to_human_agents"
CANCEL_REASON = {"no longer needed": "I no longer need it",
                 "ordered by mistake": "I ordered it by mistake"}
BYE = "No, that's all. Thanks!"
PERSON = "Can I talk to a person?"
YES = "yes"


# --- the data ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShopData:
    users: Raw
    orders: Raw
    products: Raw
    variants: Mapping[str, tuple[Raw, Raw]]  # item id -> (product, variant)
    tasks: Mapping[str, list[Raw]]  # split -> tasks
    expected: Raw  # expected_end_states.json


@lru_cache(maxsize=2)
def load_data(folder: Path) -> ShopData:
    def read(name: str) -> Any:
        return json.loads((folder / name).read_text("utf-8"))

    products = read("products.json")
    variants = {item_id: (product, variant) for product in products.values()
                for item_id, variant in product["variants"].items()}
    return ShopData(
        users=read("users.json"), orders=read("orders.json"), products=products,
        variants=variants,
        tasks={split: read(f"tasks_{split}.json") for split in ("dev", "train")},
        expected=read("expected_end_states.json"),
    )


# --- the shopper ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """One thing the shopper wants done, with each fact phrased for answering questions."""

    action: str
    message: str
    order_id: str | None = None
    items: str | None = None  # "the Electric Kettle and the Wall Clock"
    options: str | None = None  # "the Gaming Mouse for one with color white, ..."
    payment: str | None = None  # "my PayPal"
    reason: str | None = None  # "I no longer need it"
    address: str | None = None  # "123 Main St, Suite 4, Springfield, IL 62704, USA"
    swaps: tuple[tuple[str, str], ...] = ()  # ("the Gaming Mouse", "color white, ...")
    order_description: str | None = None  # "the Water Bottle": said instead of the number


@dataclass(frozen=True)
class Shopper:
    split: str
    index: int
    user_id: str
    first_name: str
    last_name: str
    zip_code: str
    email: str
    identity: str  # "name_zip" or "email"
    requests: tuple[Request, ...]
    expected_hash: str
    expected_changes: Raw = field(repr=False, default_factory=dict)
    describe_orders: bool = False  # orders named by their items, never by number

    @property
    def task_id(self) -> str:
        return f"{self.split}/{self.index}"

    @property
    def name_zip(self) -> str:
        return (f"My name is {self.first_name} {self.last_name} and my zip code is "
                f"{self.zip_code}.")

    @property
    def email_phrase(self) -> str:
        return f"My email is {self.email}."

    def identity_phrase(self) -> str:
        return self.email_phrase if self.identity == "email" else self.name_zip

    def opening(self) -> str:
        hello = ("Hi!", "Hello!", "Hi there.")[self.index % 3]
        if not self.requests:
            return (f"{hello} {self.identity_phrase()} I was going to ask about one of my "
                    "orders, but I've decided to keep everything as it is. That's all, thanks!")
        return f"{hello} {self.identity_phrase()} {self.requests[0].message}"


def _join(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _options(options: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in options.items())


def _address(kw: Mapping[str, Any]) -> str:
    parts = [kw["address1"]]
    if kw.get("address2"):
        parts.append(kw["address2"])
    parts += [kw["city"], f"{kw['state']} {kw['zip']}", kw["country"]]
    return ", ".join(parts)


def payment_phrase(user: Raw, method_id: str) -> str:
    methods = user["payment_methods"]
    method = methods.get(method_id)
    if method is None:  # not the user's: say it as the gold action has it
        return f"payment method {method_id}"
    source = method["source"]
    if source == "paypal":
        return "my PayPal"
    if source == "gift_card":
        cards = [m for m in methods.values() if m["source"] == "gift_card"]
        return "my gift card" if len(cards) == 1 else f"my gift card ending in {method_id[-4:]}"
    return f"my {method['brand']} ending in {method['last_four']}"


class _OrderView:
    """An order's items as the shopper knows them, updated by earlier item modifications."""

    def __init__(self, data: ShopData) -> None:
        self.data = data
        self.items: dict[str, list[Raw]] = {}

    def of(self, order_id: str) -> list[Raw]:
        if order_id not in self.items:
            order = self.data.orders.get(order_id)
            self.items[order_id] = [dict(i) for i in order["items"]] if order else []
        return self.items[order_id]

    def names(self, order_id: str, item_ids: Sequence[str]) -> list[str]:
        """'the <name>' per item id, with options when the order holds two of that name."""
        items = self.of(order_id)
        used: set[int] = set()
        out = []
        for item_id in item_ids:
            pos = next((n for n, i in enumerate(items) if i["item_id"] == item_id
                        and n not in used), None)
            if pos is None:  # not in the order: name it from the catalogue
                product, variant = self.data.variants[item_id]
                name, options = product["name"], variant["options"]
            else:
                used.add(pos)
                name, options = items[pos]["name"], items[pos]["options"]
            if sum(i["name"] == name for i in items) > 1:
                out.append(f"the {name} ({_options(options)})")
            else:
                out.append(f"the {name}")
        return out

    def modify(self, order_id: str, item_ids: Sequence[str], new_item_ids: Sequence[str]) -> None:
        items = self.of(order_id)
        for old, new in zip(item_ids, new_item_ids, strict=False):
            item = next((i for i in items if i["item_id"] == old), None)
            if item is not None and new in self.data.variants:
                _product, variant = self.data.variants[new]
                item.update(item_id=new, options=dict(variant["options"]),
                            price=variant["price"])


def describe_order(view: _OrderView, user: Raw, order_id: str,
                   avoid: Sequence[str] = ()) -> str:
    """The fewest items that tell this order from the user's other orders ("the Water Bottle
    and the Desk Lamp"), preferring names not in `avoid`; "only the ..." when another order
    holds these names and more; items with their options when only the options differ."""
    items = view.of(order_id)
    others = [view.of(o) for o in user["orders"] if o != order_id]
    names = sorted(dict.fromkeys(i["name"] for i in items), key=lambda n: n in avoid)
    other_names = [{i["name"] for i in o} for o in others]
    for k in range(1, len(names) + 1):
        for combo in combinations(names, k):
            if not any(set(combo) <= o for o in other_names):
                return _join([f"the {n}" for n in combo])
    if set(names) not in other_names:
        return "only " + _join([f"the {n}" for n in names])
    by_id = {i["item_id"]: f"the {i['name']} ({_options(i['options'])})" for i in items}
    other_ids = [{i["item_id"] for i in o} for o in others]
    for k in range(1, len(by_id) + 1):
        for ids in combinations(by_id, k):
            if not any(set(ids) <= o for o in other_ids):
                return _join([by_id[i] for i in ids])
    return "only " + _join(list(by_id.values()))  # the same items as another order


def _order(order_id: str, description: str | None, owner: str = "") -> str:
    """'order #W1' ('my order #W1' with owner 'my '), or 'my order with <description>'."""
    if description is None:
        return f"{owner}order {order_id}"
    return f"{owner or 'my '}order with {description}"


def _request(action: Raw, index: int, user: Raw, view: _OrderView,
             describe_orders: bool = False) -> Request | None:
    name, kw = action["name"], action.get("kwargs", {})
    variant = (index // 2) % 2  # independent of the identity choice (index % 2)
    order_id = kw.get("order_id")
    if name == TRANSFER:
        return Request(name, PERSON)
    if name in READ_ONLY or name.startswith(READ_ONLY_PREFIXES):
        return None
    desc = None
    if describe_orders and order_id:
        named = {i["item_id"]: i["name"] for i in view.of(order_id)}
        desc = describe_order(view, user, order_id,
                              [named[i] for i in kw.get("item_ids", ()) if i in named])
    the, my = _order(order_id, desc), _order(order_id, desc, "my ")
    if name == "cancel_pending_order":
        reason = CANCEL_REASON.get(kw["reason"], kw["reason"])
        message = (f"Please cancel {the}, {reason}." if variant == 0 else
                   f"I want to cancel {my} because {reason}.")
        return Request(name, message, order_id, reason=reason, order_description=desc)
    if name == "modify_pending_order_payment":
        pay = payment_phrase(user, kw["payment_method_id"])
        message = (f"Please pay for {the} with {pay} instead." if variant == 0 else
                   f"For {the}, could you please pay with {pay} instead?")
        return Request(name, message, order_id, payment=pay, order_description=desc)
    if name in ("modify_pending_order_address", "modify_user_address"):
        where = _address(kw)
        if name == "modify_user_address":
            return Request(name, f"Please update my default address to {where}.",
                           address=where)
        message = (f"Please change the shipping address of {the} to {where}."
                   if variant == 0 else
                   f"I need the shipping address of {the} changed to {where}.")
        return Request(name, message, order_id, address=where, order_description=desc)
    items = _join(view.names(order_id, kw["item_ids"]))
    pay = payment_phrase(user, kw["payment_method_id"])
    if name == "return_delivered_order_items":
        message = (f"I'd like to return {items} from {the}. Please refund it to "
                   f"{pay}." if variant == 0 else
                   f"I want to return {items} from {the}, with the refund going to "
                   f"{pay}.")
        return Request(name, message, order_id, items=items, payment=pay,
                       order_description=desc)
    olds = view.names(order_id, kw["item_ids"])
    news = [_options(view.data.variants[n][1]["options"]) if n in view.data.variants else n
            for n in kw["new_item_ids"]]
    if name == "exchange_delivered_order_items":
        swaps = ", and ".join(f"{o} for one with {n}" for o, n in zip(olds, news, strict=False))
        message = (f"From {the} I'd like to exchange {swaps}. Any price difference "
                   f"goes to {pay}." if variant == 0 else
                   f"I want to exchange {swaps}, from {the}. Any price difference "
                   f"goes to {pay}.")
        return Request(name, message, order_id, items=items, options=swaps, payment=pay,
                       swaps=tuple(zip(olds, news, strict=False)), order_description=desc)
    if name == "modify_pending_order_items":
        swaps = ", and ".join(f"{o} to one with {n}" for o, n in zip(olds, news, strict=False))
        view.modify(order_id, kw["item_ids"], kw["new_item_ids"])
        pending = _order(order_id, desc, "my pending ")
        message = (f"For {pending}, please change {swaps}. Use {pay} for the "
                   "price difference." if variant == 0 else
                   f"For {pending}, I'd like to change {swaps}. Please use "
                   f"{pay} for the price difference.")
        return Request(name, message, order_id, items=items, options=swaps, payment=pay,
                       swaps=tuple(zip(olds, news, strict=False)), order_description=desc)
    raise ValueError(f"no phrasing for τ-bench action {name!r}")


def make_shopper(data: ShopData, split: str, index: int, *,
                 describe_orders: bool = False) -> Shopper:
    task = data.tasks[split][index]
    user = data.users[task["user_id"]]
    view = _OrderView(data)
    requests = [r for a in task["actions"]
                if (r := _request(a, index, user, view, describe_orders))]
    # A person last: the transfer ends the conversation.
    requests.sort(key=lambda r: r.action == TRANSFER)
    # Identity alternates by task index; an email comes with an order number (the request's),
    # so a shopper who gives no numbers always uses name and zip.
    identity = ("email" if index % 2 and requests and requests[0].order_id
                and not describe_orders else "name_zip")
    expected = next(e for e in data.expected["splits"][split] if e["task_index"] == index)
    return Shopper(
        split=split, index=index, user_id=task["user_id"],
        first_name=user["name"]["first_name"], last_name=user["name"]["last_name"],
        zip_code=user["address"]["zip"], email=user["email"], identity=identity,
        requests=tuple(requests), expected_hash=expected["final_db_hash"],
        expected_changes=expected["changed_records"], describe_orders=describe_orders,
    )


def make_shoppers(folder: Path, train: int = 100, *,
                  describe_orders: bool = False) -> list[Shopper]:
    """Every dev task and the first `train` train tasks."""
    data = load_data(folder)
    tasks = [("dev", i) for i in range(len(data.tasks["dev"]))] + [
        ("train", i) for i in range(min(train, len(data.tasks["train"])))]
    return [make_shopper(data, split, i, describe_orders=describe_orders)
            for split, i in tasks]


# --- the dialogue --------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    who: str  # "shopper", "agent", "system", ...
    text: str
    buttons: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        text = self.text.replace("\n", "\n" + " " * 13)
        extra = ("  [" + ", ".join(f"{label}={value}" for label, value in self.buttons) + "]"
                 if self.buttons else "")
        return f"  {self.who:>9}: {text}{extra}"


class Dialogue:
    """The shopper's side: what to say next, given the agent's replies to the last message.

    `next` returns (text, button value) or None when the shopper is finished; `notes` keeps
    what went off script (a request never confirmed, a question it could not answer)."""

    def __init__(self, shopper: Shopper) -> None:
        self.shopper = shopper
        self.pos = 0
        self.confirmed = False
        self.finished = False
        self.repeats = 0
        self.asked: set[tuple[int, str]] = set()  # (request position, agent text)
        self.notes: list[str] = []

    @property
    def current(self) -> Request | None:
        reqs = self.shopper.requests
        return reqs[self.pos] if self.pos < len(reqs) else None

    def opening(self) -> tuple[str, str | None]:
        if not self.shopper.requests:
            self.finished = True
        return self.shopper.opening(), None

    def _label(self) -> str:
        req = self.current
        if req is None:
            return "no request"
        return f"request {self.pos + 1} ({' '.join(filter(None, (req.action, req.order_id)))})"

    def _advance(self) -> tuple[str, str | None]:
        req = self.current
        if req is not None and req.action != TRANSFER and not self.confirmed:
            self.notes.append(f"{self._label()} was never put up for confirmation")
        self.pos += 1
        self.confirmed = False
        self.repeats = 0
        nxt = self.current
        if nxt is None:
            self.finished = True
            return BYE, None
        return nxt.message, None

    def answer(self, question: str) -> str | None:
        """Answers to what the question asks, by its key words; None if it asks nothing known."""
        q = question.lower()
        req = self.current
        s = self.shopper
        parts: list[str] = []
        if req is not None and req.order_id and ("order number" in q or "order id" in q
                                                 or "order #" in q or "which order" in q):
            parts.append(f"It's order {req.order_id}." if req.order_description is None
                         else f"It's my order with {req.order_description}.")
        if "email" in q and (s.identity == "email" or not ("zip" in q or "name" in q)):
            parts.append(s.email_phrase)
        elif "zip" in q or " name" in q:
            parts.append(s.name_zip)
        if req is not None:
            if req.reason and "reason" in q:
                parts.append(f"{req.reason[0].upper()}{req.reason[1:]}.")
            if req.options and "option" in q:
                parts.append(self._options_answer(q, req))
            elif req.items and ("which item" in q or "items" in q or "which product" in q):
                parts.append(f"{req.items[0].upper()}{req.items[1:]}.")
            if req.payment and ("payment" in q or "refund" in q or "pay " in q):
                parts.append(f"Please use {req.payment}.")
            if req.address and "address" in q:
                parts.append(f"The address is {req.address}.")
        return " ".join(parts) or None

    @staticmethod
    def _options_answer(question: str, req: Request) -> str:
        """The new options of the items the question names (the agent asks for "for one
        with"), else of every item in the request."""
        named = [(old, new) for old, new in req.swaps
                 if old.removeprefix("the ").split(" (")[0].lower() in question]
        if named:
            return " And ".join(f"{old[0].upper()}{old[1:]} for one with {new}."
                                for old, new in named)
        verb = "exchange" if req.action.startswith("exchange") else "change"
        return f"I'd like to {verb} {req.options}."

    def next(self, replies: Sequence[Line]) -> tuple[str, str | None] | None:
        if self.finished:
            return None
        if not replies:
            self.notes.append(f"no reply to the shopper during {self._label()}")
            return None
        if any(r.who == "system" for r in replies):
            req = self.current
            if req is None or req.action != TRANSFER:
                self.notes.append(f"handed off to a person during {self._label()}")
            self.finished = True
            return None
        if any(value.lower() == YES for r in replies for _label, value in r.buttons):
            self.confirmed = True
            return "Yes", YES
        last = replies[-1].text.strip()
        lower = last.lower()
        repeated = (self.pos, last) in self.asked  # asked again during this request
        self.asked.add((self.pos, last))
        if "anything else" in lower:
            return self._advance()
        if "?" in lower:
            answer = self.answer(last)
            if answer is not None and not repeated:
                return answer, None
            if repeated:  # the answer did not help: stop rather than loop
                self.notes.append(f"agent asked again after the answer: {last!r}")
                self.finished = True
                return None
            if self.confirmed:
                return self._advance()
            req = self.current
            if req is not None and self.repeats == 0:
                self.repeats += 1
                return req.message, None
            self.notes.append(f"could not answer {last!r}")
            self.finished = True
            return None
        # A statement: done (after a yes) or refused / not understood; go on either way.
        return self._advance()


# --- the driver ----------------------------------------------------------------------------


@dataclass
class Result:
    shopper: Shopper
    passed: bool
    reason: str
    transcript: list[Line]
    seconds: float

    @property
    def task_id(self) -> str:
        return self.shopper.task_id

    def render(self) -> str:
        head = f"--- {self.task_id} ({self.shopper.user_id}): {self.reason}"
        return "\n".join([head, *map(str, self.transcript)])


def _busy(router: Any, conversation_id: int) -> bool:
    """A turn is running or its replies are still being delivered."""
    if conversation_id in router.lanes:
        return True
    tasks = getattr(router.outbox, "_tasks", None)
    if tasks is None:  # unknown outbox: assume busy (the quiet window ends the wait)
        return True
    task = tasks.get(conversation_id)
    return task is not None and not task.done()


def _line(out: Any) -> Line:
    role = str(getattr(out.role, "value", out.role))
    return Line(role, out.text, tuple((b.label, b.value) for b in out.buttons))


async def collect(gw: Any, chat_id: str, conversation_id: int, *, first_timeout: float = 5.0,
                  quiet: float = 0.3) -> list[Line]:
    """The agent's messages for the last shopper message: wait up to `first_timeout` for the
    turn, then take what arrives until the lane and its deliveries are idle (or nothing came
    for `quiet` seconds)."""
    lb = gw.loopback
    router = gw.rt.router
    q = lb.queue(chat_id)
    out: list[Line] = []
    deadline = time.monotonic() + first_timeout
    while True:
        if not q.empty():
            out.append(_line(q.get_nowait()))
            continue
        if not _busy(router, conversation_id):
            break
        wait = min(0.05, max(0.0, deadline - time.monotonic())) if not out else quiet
        if not out and wait <= 0:
            break
        try:
            out.append(_line(await lb.reply(chat_id, wait)))
        except TimeoutError:
            if out:
                break
    return out


def db_diff(commerce: Any, base: Any, shopper: Shopper) -> str:
    """Which records differ from the expected end state: missing, wrong or unexpected writes."""
    got = commerce.export()
    start = base.export()
    want = shopper.expected_changes
    missing: list[str] = []
    wrong: list[str] = []
    unexpected: list[str] = []
    for table in ("orders", "users"):
        expected = want.get(table, {})
        for key, record in expected.items():
            if got[table].get(key) == record:
                continue
            (missing if got[table].get(key) == start[table].get(key) else wrong).append(key)
        for key, record in got[table].items():
            if key not in expected and record != start[table].get(key):
                unexpected.append(key)
    parts = []
    if missing:
        parts.append("not written: " + ", ".join(missing))
    if wrong:
        parts.append("written wrong: " + ", ".join(wrong))
    if unexpected:
        parts.append("written unexpectedly: " + ", ".join(unexpected))
    return "; ".join(parts) or "database differs"


async def run_shopper(gw: Any, base: Any, shopper: Shopper, *, max_turns: int = 12,
                      first_timeout: float = 5.0, quiet: float = 0.3) -> Result:
    """One task: a fresh copy of the shop, a new chat, the dialogue, then the database check."""
    started = time.monotonic()
    commerce = base.clone()
    gw.rt.commerce = commerce
    gw.rt.router.commerce = commerce
    chat_id = f"shopper-{shopper.split}-{shopper.index}"
    dialogue = Dialogue(shopper)
    transcript: list[Line] = []
    step: tuple[str, str | None] | None = dialogue.opening()
    turns = 0
    while step is not None and turns < max_turns:
        text, button = step
        turns += 1
        transcript.append(Line("shopper", text, ((text, button),) if button else ()))
        published = await gw.loopback.say(text, chat_id=chat_id, button_value=button)
        replies = await collect(gw, chat_id, published.conversation_id,
                                first_timeout=first_timeout, quiet=quiet)
        transcript += replies
        step = dialogue.next(replies)
    if step is not None:
        dialogue.notes.append(f"still talking after {max_turns} shopper turns")
    passed = commerce.db_hash() == shopper.expected_hash
    if passed:
        reason = "ok"
    else:
        reason = db_diff(commerce, base, shopper)
        if dialogue.notes:
            reason += " | " + "; ".join(dialogue.notes)
    return Result(shopper, passed, reason, transcript, time.monotonic() - started)


async def run_all(gw: Any, base: Any, shoppers: Sequence[Shopper]) -> list[Result]:
    results = []
    for shopper in shoppers:
        results.append(await run_shopper(gw, base, shopper))
        await asyncio.sleep(0)
    return results
