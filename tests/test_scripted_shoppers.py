"""Scripted shoppers: for every τ-bench retail dev and train task (`SHOPPER_TRAIN=N` runs
only the first N train tasks), a deterministic shopper states the task's facts in plain
sentences, answers the agent's questions and confirms; the conversation runs through the
loopback channel and the built-in engine, and the final database must equal the task's
expected end state. See tests/shoppers.py for the phrasings agreed with the engine. A second
run has the same shoppers name every order by its items, never by number.

    .venv/bin/python -m pytest -q -s tests/test_scripted_shoppers.py
    SHOPPER_TRAIN=100 ...            the first 100 train tasks only
    SHOPPER_ONLY=train/5,dev/3 ...   just these tasks
    SHOPPER_TRANSCRIPTS=20 ...       print more failing transcripts (default 5)
"""

from __future__ import annotations

import os
import re

from tests.shoppers import (
    Dialogue,
    Line,
    load_data,
    make_shopper,
    make_shoppers,
    run_all,
)
from tests.support import require_taubench

DATA = require_taubench()

# Tasks failing when this list was written. It must only shrink: when a task here starts
# passing, the test prints it; remove it from the list (and raise PASS_FLOOR).
# Empty since the engine learnt option pairs and item names inside option phrases
# (train/150, train/393 were the last two).
KNOWN_FAILURES: set[str] = set()
PASS_FLOOR = 520  # of the default run: all 20 dev and all 500 train tasks

# The same for shoppers who describe their orders ("my order with the Water Bottle"): written
# before the engine could find an order from its items. Only shrinks; raise the floor with it.
# The 6 passing then expect an unchanged database (dev/17 asks nothing; the gold write of
# train/161, 214, 229, 288, 349 fails in τ-bench).
DESCRIBED_KNOWN_FAILURES: set[str] = set("""
    dev/0 dev/1 dev/2 dev/3 dev/4 dev/5 dev/6 dev/7 dev/8 dev/9 dev/10 dev/11 dev/12 dev/13
    dev/14 dev/15 dev/16 dev/18 dev/19 train/0 train/1 train/2 train/3 train/4 train/5
    train/6 train/7 train/8 train/9 train/10 train/11 train/12 train/13 train/14 train/15
    train/16 train/17 train/18 train/19 train/20 train/21 train/22 train/23 train/24
    train/25 train/26 train/27 train/28 train/29 train/30 train/31 train/32 train/33
    train/34 train/35 train/36 train/37 train/38 train/39 train/40 train/41 train/42
    train/43 train/44 train/45 train/46 train/47 train/48 train/49 train/50 train/51
    train/52 train/53 train/54 train/55 train/56 train/57 train/58 train/59 train/60
    train/61 train/62 train/63 train/64 train/65 train/66 train/67 train/68 train/69
    train/70 train/71 train/72 train/73 train/74 train/75 train/76 train/77 train/78
    train/79 train/80 train/81 train/82 train/83 train/84 train/85 train/86 train/87
    train/88 train/89 train/90 train/91 train/92 train/93 train/94 train/95 train/96
    train/97 train/98 train/99 train/100 train/101 train/102 train/103 train/104 train/105
    train/106 train/107 train/108 train/109 train/110 train/111 train/112 train/113
    train/114 train/115 train/116 train/117 train/118 train/119 train/120 train/121
    train/122 train/123 train/124 train/125 train/126 train/127 train/128 train/129
    train/130 train/131 train/132 train/133 train/134 train/135 train/136 train/137
    train/138 train/139 train/140 train/141 train/142 train/143 train/144 train/145
    train/146 train/147 train/148 train/149 train/150 train/151 train/152 train/153
    train/154 train/155 train/156 train/157 train/158 train/159 train/160 train/162
    train/163 train/164 train/165 train/166 train/167 train/168 train/169 train/170
    train/171 train/172 train/173 train/174 train/175 train/176 train/177 train/178
    train/179 train/180 train/181 train/182 train/183 train/184 train/185 train/186
    train/187 train/188 train/189 train/190 train/191 train/192 train/193 train/194
    train/195 train/196 train/197 train/198 train/199 train/200 train/201 train/202
    train/203 train/204 train/205 train/206 train/207 train/208 train/209 train/210
    train/211 train/212 train/213 train/215 train/216 train/217 train/218 train/219
    train/220 train/221 train/222 train/223 train/224 train/225 train/226 train/227
    train/228 train/230 train/231 train/232 train/233 train/234 train/235 train/236
    train/237 train/238 train/239 train/240 train/241 train/242 train/243 train/244
    train/245 train/246 train/247 train/248 train/249 train/250 train/251 train/252
    train/253 train/254 train/255 train/256 train/257 train/258 train/259 train/260
    train/261 train/262 train/263 train/264 train/265 train/266 train/267 train/268
    train/269 train/270 train/271 train/272 train/273 train/274 train/275 train/276
    train/277 train/278 train/279 train/280 train/281 train/282 train/283 train/284
    train/285 train/286 train/287 train/289 train/290 train/291 train/292 train/293
    train/294 train/295 train/296 train/297 train/298 train/299 train/300 train/301
    train/302 train/303 train/304 train/305 train/306 train/307 train/308 train/309
    train/310 train/311 train/312 train/313 train/314 train/315 train/316 train/317
    train/318 train/319 train/320 train/321 train/322 train/323 train/324 train/325
    train/326 train/327 train/328 train/329 train/330 train/331 train/332 train/333
    train/334 train/335 train/336 train/337 train/338 train/339 train/340 train/341
    train/342 train/343 train/344 train/345 train/346 train/347 train/348 train/350
    train/351 train/352 train/353 train/354 train/355 train/356 train/357 train/358
    train/359 train/360 train/361 train/362 train/363 train/364 train/365 train/366
    train/367 train/368 train/369 train/370 train/371 train/372 train/373 train/374
    train/375 train/376 train/377 train/378 train/379 train/380 train/381 train/382
    train/383 train/384 train/385 train/386 train/387 train/388 train/389 train/390
    train/391 train/392 train/393 train/394 train/395 train/396 train/397 train/398
    train/399 train/400 train/401 train/402 train/403 train/404 train/405 train/406
    train/407 train/408 train/409 train/410 train/411 train/412 train/413 train/414
    train/415 train/416 train/417 train/418 train/419 train/420 train/421 train/422
    train/423 train/424 train/425 train/426 train/427 train/428 train/429 train/430
    train/431 train/432 train/433 train/434 train/435 train/436 train/437 train/438
    train/439 train/440 train/441 train/442 train/443 train/444 train/445 train/446
    train/447 train/448 train/449 train/450 train/451 train/452 train/453 train/454
    train/455 train/456 train/457 train/458 train/459 train/460 train/461 train/462
    train/463 train/464 train/465 train/466 train/467 train/468 train/469 train/470
    train/471 train/472 train/473 train/474 train/475 train/476 train/477 train/478
    train/479 train/480 train/481 train/482 train/483 train/484 train/485 train/486
    train/487 train/488 train/489 train/490 train/491 train/492 train/493 train/494
    train/495 train/496 train/497 train/498 train/499
""".split())
DESCRIBED_PASS_FLOOR = 6  # of 520 (default run)

TOML = """
[agent]
engine = "builtin"
debounce_seconds = 0

[guardrails]
max_refund_per_order = 0
max_refund_per_customer_30d = 0
max_refund_per_day = 0
return_window_days = 0
"""

SHOW_TRANSCRIPTS = int(os.environ.get("SHOPPER_TRANSCRIPTS", "5"))


async def _run_shoppers(gateway_factory, *, describe_orders: bool, known: set[str],  # type: ignore[no-untyped-def]
                        floor: int, label: str) -> None:
    """All shoppers (or the env's subset) against the built-in engine; fails on a failure not
    in `known` and, on the full run, on fewer than `floor` passes."""
    from omnichannel.commerce.taubench import TaubenchCommerce

    base = TaubenchCommerce.load(DATA)
    train = int(os.environ.get("SHOPPER_TRAIN", "500"))
    shoppers = make_shoppers(DATA, train=train, describe_orders=describe_orders)
    only = {t for t in os.environ.get("SHOPPER_ONLY", "").split(",") if t}  # "train/5,dev/3"
    if only:
        shoppers = [s for s in shoppers if s.task_id in only]
    gw = await gateway_factory(TOML, engine="builtin")
    assert gw.rt.router is not None
    results = await run_all(gw, base, shoppers)

    passed = [r for r in results if r.passed]
    failed = [r for r in results if not r.passed]
    print(f"\n{label}: {len(passed)}/{len(results)} passed "
          f"({sum(r.seconds for r in results):.1f}s)")
    for r in failed:
        print(f"  FAIL {r.task_id}: {r.reason}")
    for r in failed[:SHOW_TRANSCRIPTS]:
        print(r.render())
    now_passing = sorted(r.task_id for r in passed if r.task_id in known)
    if now_passing:
        print(f"known failures now passing (remove them from the list): {now_passing}")

    unexpected = [r for r in failed if r.task_id not in known]
    assert not unexpected, "\n\n".join(r.render() for r in unexpected[:SHOW_TRANSCRIPTS])
    if not only and train >= 500:
        assert len(passed) >= floor


async def test_scripted_shoppers_reach_the_expected_end_state(gateway_factory) -> None:  # type: ignore[no-untyped-def]
    await _run_shoppers(gateway_factory, describe_orders=False, known=KNOWN_FAILURES,
                        floor=PASS_FLOOR, label="scripted shoppers")


async def test_scripted_shoppers_without_order_numbers(gateway_factory) -> None:  # type: ignore[no-untyped-def]
    """SHOPPER_TRAIN / SHOPPER_ONLY / SHOPPER_TRANSCRIPTS work here too."""
    await _run_shoppers(gateway_factory, describe_orders=True, known=DESCRIBED_KNOWN_FAILURES,
                        floor=DESCRIBED_PASS_FLOOR, label="shoppers without order numbers")


# --- the shopper's phrases -----------------------------------------------------------------


def test_cancel_request_names_the_order_and_the_reason() -> None:
    shopper = make_shopper(load_data(DATA), "dev", 0)
    opening = shopper.opening()
    assert "#W5442520" in opening and "no longer need" in opening
    assert "My name is Olivia Ito and my zip code is 80218." in opening  # index 0: name + zip
    assert shopper.requests[0].reason == "I no longer need it"


def test_exchange_request_gives_the_full_new_option_set() -> None:
    data = load_data(DATA)
    index, task = next((i, t) for i, t in enumerate(data.tasks["train"])
                       if t["actions"] and t["actions"][0]["name"]
                       == "exchange_delivered_order_items")
    shopper = make_shopper(data, "train", index)
    message = shopper.requests[0].message
    assert "for one with" in message
    kw = task["actions"][0]["kwargs"]
    new = data.variants[kw["new_item_ids"][0]][1]["options"]
    assert ", ".join(f"{k} {v}" for k, v in new.items()) in message
    assert kw["order_id"] in message


def test_identity_alternates_and_email_comes_with_an_order_number() -> None:
    data = load_data(DATA)
    even, odd = make_shopper(data, "train", 0), make_shopper(data, "train", 1)
    assert even.identity == "name_zip" and "zip code" in even.opening()
    assert odd.identity == "email" and odd.email in odd.opening()
    assert re.search(r"#W\d{7}", odd.opening())


def test_requests_speak_plainly() -> None:
    """No raw ids (item ids, payment method ids) and no instruction text in what shoppers say."""
    for shopper in make_shoppers(DATA, train=100):
        instruction = load_data(DATA).tasks[shopper.split][shopper.index]["instruction"]
        for text in [shopper.opening(), *(r.message for r in shopper.requests)]:
            assert not re.search(r"gift_card_|credit_card_|paypal_|\b\d{10}\b", text), text
            assert text not in instruction


def test_payment_methods_are_described_in_words() -> None:
    data = load_data(DATA)
    descriptions = {r.payment for s in make_shoppers(DATA, train=100) for r in s.requests
                    if r.payment}
    assert "my PayPal" in descriptions and "my gift card" in descriptions
    assert any(re.fullmatch(r"my (visa|mastercard) ending in \d{4}", d) for d in descriptions)
    assert data.users  # loaded once, cached


def test_dialogue_confirms_answers_and_says_goodbye() -> None:
    shopper = make_shopper(load_data(DATA), "dev", 0)
    d = Dialogue(shopper)
    d.opening()
    assert d.next([Line("agent", "What's your order number?")]) == ("It's order #W5442520.",
                                                                   None)
    assert d.next([Line("agent", "Cancel #W5442520? Shall I go ahead?",
                        (("Yes", "yes"), ("No", "no")))]) == ("Yes", "yes")
    assert d.next([Line("agent", "Done. Anything else?")]) == ("No, that's all. Thanks!", None)
    assert d.next([Line("agent", "Have a great day!")]) is None
    assert d.notes == []


def test_described_orders_never_say_a_number() -> None:
    """No order number anywhere, and each description fits only its order among the user's."""
    data = load_data(DATA)
    for shopper in make_shoppers(DATA, train=500, describe_orders=True):
        assert shopper.identity == "name_zip"
        for text in [shopper.opening(), *(r.message for r in shopper.requests)]:
            assert not re.search(r"#W\d", text), text
        user = data.users[shopper.user_id]
        for req in shopper.requests:
            if req.order_id is None:
                continue
            assert req.order_description is not None
            said = re.findall(r"the (.+?)(?: \(|,| and |$)", req.order_description)
            fits = [o for o in user["orders"]
                    if all(any(i["name"] == n for i in data.orders[o]["items"]) for n in said)]
            assert req.order_id in fits, req  # a change of items keeps their names
            if len(fits) > 1:
                assert "only" in req.order_description or "(" in req.order_description, req


def test_a_described_order_takes_the_fewest_item_names() -> None:
    data = load_data(DATA)
    # train/93: Omar Muller's Electric Kettle order sits beside a bigger order with one too
    shopper = make_shopper(data, "train", 93, describe_orders=True)
    assert "my order with only the Electric Kettle" in shopper.opening()
    # train/149: two one-helmet orders, told apart by the helmet's options
    shopper = make_shopper(data, "train", 149, describe_orders=True)
    assert "the Cycling Helmet (size S, color blue, ventilation high)" in (
        shopper.requests[1].message)
    # dev/4: one name is enough, and not the item being returned
    shopper = make_shopper(data, "dev", 4, describe_orders=True)
    assert "return the Wireless Earbuds from my order with the Backpack." in shopper.opening()


def test_which_order_is_answered_with_the_description() -> None:
    shopper = make_shopper(load_data(DATA), "dev", 0, describe_orders=True)
    d = Dialogue(shopper)
    d.opening()
    assert d.next([Line("agent", "Which order is it? Please give me the order number.")]) == (
        "It's my order with the Gaming Mouse.", None)
