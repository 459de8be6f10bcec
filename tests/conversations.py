"""Conversations as data: what shoppers really type, and what a good support agent does.

Each Case names a demo shopper kind (tests/conversation_shop.py: the demo scenarios pending,
shipped, delivered, over_cap, canadian, and resize, two_pending, canadian_pending,
old_delivered), the shopper's lines in order, and the expected outcome. Lines use the
shopper's facts as placeholders: {first} {last} {zip} {email} {order} {order2} {item}
{thing} (what a shopper calls the item: "bottle"), {size} {size_item} {color} {color_item},
lowercase {first_l} {last_l} {order_l}, and {bad_zip} (one digit off).

Words to find are matched case-insensitively against the replies' text and button labels;
"a|b" accepts either. An expectation describes a good product, not today's engine.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Say:
    """A shopper line with checks on the replies to it alone (`button`: the value of a
    button the shopper pressed)."""

    text: str
    button: str | None = None
    has: tuple[str, ...] = ()
    lacks: tuple[str, ...] = ()


Line = str | Say


@dataclass(frozen=True)
class Expect:
    """The outcome: words in the replies to the last line (`has`), words in no reply of the
    conversation (`lacks`), whether a person was brought in, and the orders that change with
    their final status (("order", "cancelled")); every other record must stay as it was."""

    has: tuple[str, ...] = ()
    lacks: tuple[str, ...] = ()
    handoff: bool | None = False  # None: either is fine
    writes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Case:
    name: str
    shopper: str
    turns: tuple[Line, ...]
    expect: Expect = Expect()


# Words of an identity question: a policy answer must not ask who the shopper is.
ASKS_ID = ("confirm who you are", "name and zip", "name and postal", "email and the order",
           "email and order number", "verify your identity")
POLITE = ("welcome|glad|happy to help|anytime|take care|have a |great day|bye|pleasure",)
SORRY = "sorry|apolog"
ON_ITS_WAY = "shipped|on its way|on the way|in transit|tracking"
REASON_Q = ("why do you|reason",)
CANCELLED = (("order", "cancelled"),)
MODIFIED = (("order", "pending (item modified)"),)
RETURNED = (("order", "return requested"),)
ID = "I'm {first} {last}, zip {zip}."


def _policy(name: str, text: str, *has: str) -> Case:
    return Case(name, "pending", (text,), Expect(has=has, lacks=ASKS_ID))


CASES: tuple[Case, ...] = (
    # --- policy questions: answered from the help center, never asking who the shopper is
    _policy("policy_return_policy", "whats ur return policy", "30 days"),
    _policy("policy_return_policy_long",
            "hi there i bought a jacket as a gift and im not sure it fits him what is your "
            "return policy like how many days do i have", "30 days"),
    _policy("policy_cancellation_fee", "is there a cancellation fee",
            "cancel", "full|no fee|free|no charge"),
    _policy("policy_refund_time", "how long do refunds take??", "refund", "5-10 business days"),
    _policy("policy_germany", "do you ship to germany?",
            "canada", "united states|the us|u.s.", "only|don't|do not|can't|cannot|unable"),
    _policy("policy_gift_wrap", "do you do gift wrapping?",
            "don't offer gift wrap|do not offer gift wrap|no gift wrap|not sure|don't know"),
    _policy("policy_how_to_return", "How do I return an item?", "30 days", "start"),
    _policy("policy_free_shipping", "do u guys have free shipping", "$50"),
    _policy("policy_canada_shipping", "hey do you ship to canada and how long does it take",
            "canada", "5-10"),
    _policy("policy_exchange_cost", "do exchanges cost anything", "free"),
    _policy("policy_final_sale", "can i return a final sale item",
            "final sale", "can't|cannot|not"),
    _policy("policy_hours", "what are ur customer service hours", "9:00", "eastern"),
    _policy("policy_phone", "do you have a phone number i can call", "phone", "email|chat"),
    _policy("policy_warranty", "do your products have a warranty", "warranty"),
    _policy("policy_international_typo", "do yall shipp internationaly", "canada"),
    _policy("policy_three_questions",
            "how much is shipping and how long do refunds take and do you ship to canada",
            "$5.95|free", "refund", "canada"),
    _policy("policy_two_questions",
            "whats the return window? also can i swap for a different colour instead",
            "30 days", "exchange"),
    _policy("policy_size_typo_not_legal",
            "im not sue what size to get in the hiking boots", "size", "measure|size chart|fit"),
    _policy("policy_promo_code", "does the code WELCOME10 still work", "10%"),
    Case("greeting_only", "pending", ("hiii",),
         Expect(has=("help",), lacks=ASKS_ID)),
    # --- identity in plain words
    Case("identity_bare_name_zip", "shipped",
         ("where is my order {order}", "{first_l} {last_l} {zip}"),
         Expect(has=("{order}", ON_ITS_WAY))),
    Case("identity_comma_and_period", "shipped",
         ("hi can u check on an order for me", "{first} {last}, {zip}.", "{order}"),
         Expect(has=(ON_ITS_WAY,))),
    Case("identity_email_and_order", "pending",
         ("my email is {email} and the order is {order_l}, what was in it",),
         Expect(has=("{thing}",))),
    Case("identity_canadian_postal_code", "canadian",
         ("what did i order in {order}", "{first} {last} {zip}"),
         Expect(has=("{thing}",))),
    Case("identity_canadian_postal_squashed", "canadian",
         ("{first_l} {last_l} {zip_squashed} whats in order {order_l}",),
         Expect(has=("{thing}",))),
    Case("identity_zip_is_not_a_promo_code", "shipped",
         ("hi its {first} {last}, code {zip}, has my order {order} shipped yet",),
         Expect(has=(ON_ITS_WAY,), lacks=("promo",))),
    Case("identity_typo_then_fixed", "shipped",
         ("where is my order {order}", "{first} {last} {bad_zip}", "oops typo its {zip}"),
         Expect(has=(ON_ITS_WAY,))),
    # --- facts given before verification are kept, not asked again
    Case("facts_before_identity_cancel", "pending",
         ("i need to cancel {order}, found it cheaper somewhere else",
          Say("{first} {last} {zip}", has=("yes",),
              lacks=("which order", "order number", *REASON_Q)),
          "yes"),
         Expect(writes=CANCELLED)),
    Case("facts_before_identity_status", "shipped",
         ("order {order} where is it??", Say("{first} {last} {zip}", lacks=("which order",))),
         Expect(has=(ON_ITS_WAY,))),
    # --- orders named by description, recency, position
    Case("order_by_item_cancel", "pending",
         (ID + " i want to cancel the one with the {thing}, turns out i wont need it",
          Say("yes", button="yes")),
         Expect(writes=CANCELLED)),
    Case("order_by_item_status", "shipped",
         ("{first} {last} {zip} wheres the order with the {thing}",),
         Expect(has=("{order}", ON_ITS_WAY))),
    Case("order_by_recency", "delivered",
         (ID + " what was in my most recent order",),
         Expect(has=("{latest_item}",))),
    Case("order_list_then_second_one", "two_pending",
         (ID + " which orders do i have", Say("the second one", has=("has:", "total")),
          Say("and what's in it?", has=("total",))),
         Expect()),
    Case("order_shipped_only_cannot_cancel", "shipped",
         ("{first} {last} {zip} can i cancel my order",),
         Expect(has=("shipped|can't be cancelled|can not be cancelled|cannot be cancelled",
                     "return"), lacks=("Why would you like to cancel",))),
    Case("order_the_only_one_is_asked_first", "pending",
         (ID + " i need to cancel an order", Say("yes", has=("why",)),
          "found it cheaper", Say("yes", button="yes")),
         Expect(writes=CANCELLED)),
    Case("order_both_of_them", "two_pending",
         (ID + " i have 2 orders that havent shipped yet, please cancel both of them, i "
          "ordered them by mistake", "yes"),
         Expect(writes=(("order", "cancelled"), ("order2", "cancelled")))),
    Case("order_the_other_one", "two_pending",
         (ID + " please cancel {order}, ordered it by mistake", "yes",
          "and the other one that hasnt shipped too, same reason", "yes"),
         Expect(writes=(("order", "cancelled"), ("order2", "cancelled")))),
    Case("order_correction_wrong_one", "two_pending",
         (ID + " cancel {order2} please, i ordered it by mistake",
          Say("sorry wrong one, i meant {order}", has=("{order}",)), "yes"),
         Expect(writes=CANCELLED)),
    # --- escaping a question, and a second miss changes the approach
    Case("escape_nevermind", "pending",
         ("i want to cancel an order", Say("nevermind", lacks=ASKS_ID)),
         Expect()),
    Case("escape_start_over", "pending",
         ("i want to return something", Say("start over", lacks=ASKS_ID)),
         Expect(has=("help",))),
    Case("escape_new_question", "pending",
         ("cancel my order", "actually wait how much is shipping to canada"),
         Expect(has=("$5.95|free|5-10",))),
    Case("escape_new_question_mid_order", "pending",
         ("cancel my order", "{first} {last} {zip}", "hold on, do you ship to germany"),
         Expect(has=("canada",))),
    Case("second_miss_which_order", "pending",
         ("i want to cancel an order", "{first} {last} {zip}", "the thing",
          "umm the thing i bought"),
         Expect(has=("#jp|person",), handoff=None)),
    Case("second_miss_identity", "pending",
         ("where is my order", "i dont know my zip", "i told u i dont remember it"),
         Expect(has=("email|person",), handoff=None)),
    Case("second_miss_not_found", "pending",
         ("cancel my order", "john smith 00000", "jon smith 00001"),
         Expect(has=("person|email",), handoff=None)),
    # --- options in free words, and how to pay
    Case("option_size_in_words", "resize",
         ("{first} {last} {zip}. for order {order} can i change the {size_item} to size {size}",
          Say("yes", button="yes")),
         Expect(writes=MODIFIED)),
    Case("option_color_in_words", "resize",
         (ID + " can i get the {color_thing} in {color} instead? order {order}",
          Say("yes", button="yes")),
         Expect(writes=MODIFIED)),
    Case("option_the_color_one", "resize",
         (ID + " i want to change the colour of the {color_item} in {order}",
          "the {color} one", Say("yes", button="yes")),
         Expect(writes=MODIFIED)),
    Case("payment_original_method", "delivered",
         (ID + " i want to return the {item} from {order}, refund to the original payment "
          "method please", Say("yes", button="yes")),
         Expect(writes=RETURNED)),
    Case("payment_same_way_i_paid", "delivered",
         (ID + " return the {thing} from order {order}", "same way i paid is fine",
          Say("yes", button="yes")),
         Expect(writes=RETURNED)),
    # --- cancel reasons in free words
    Case("reason_found_it_cheaper", "pending",
         ("{first} {last} {zip} cancel order {order} pls", "found it cheaper somewhere else tbh",
          Say("yes", button="yes")),
         Expect(writes=CANCELLED)),
    Case("reason_wont_need_it", "pending",
         ("{first} {last} {zip} i want to cancel {order}", "turns out I won't need it",
          Say("yes", button="yes")),
         Expect(writes=CANCELLED)),
    Case("reason_long_run_on", "pending",
         ("hey so i ordered some stuff recently and honestly i messed up and put the wrong "
          "thing in my cart so i really dont need it anymore can you just cancel it the order "
          "is {order} and im {first} {last} from {zip}", Say("yes", button="yes")),
         Expect(writes=CANCELLED)),
    # --- confirmations typed in words
    Case("confirm_thats_correct", "pending",
         (ID + " cancel {order}, ordered by mistake", "That's correct, please proceed"),
         Expect(writes=CANCELLED)),
    Case("confirm_sounds_good", "pending",
         (ID + " cancel {order}, ordered by mistake", "sounds good, go ahead"),
         Expect(writes=CANCELLED)),
    Case("confirm_yup", "pending",
         (ID + " cancel {order}, ordered by mistake", "yup"),
         Expect(writes=CANCELLED)),
    Case("confirm_canadian", "canadian_pending",
         ("hi can you cancel my order {order} i ordered it by mistake", "{first} {last} {zip}",
          "yes"),
         Expect(writes=CANCELLED)),
    Case("confirm_mixed_no_wait", "pending",
         (Say(ID + " cancel {order}, ordered by mistake", has=("yes",)),
          "ok so no wait that's wrong"),
         Expect()),
    Case("confirm_yes_but_change_size", "resize",
         (Say(ID + " for order {order} change the {size_item} to size {size}", has=("yes",)),
          "yes but change the size"),
         Expect()),
    Case("confirm_no", "pending",
         (Say(ID + " cancel {order}, ordered by mistake", has=("yes",)),
          Say("no dont do it", button="no")),
         Expect(has=("haven't|not|no changes|won't",))),
    Case("return_how_then_start", "delivered",
         ("How do I return an item?", "ok can we start one",
          "{first} {last} {zip}. the {item} from {order}, original payment method",
          Say("yes", button="yes")),
         Expect(writes=RETURNED)),
    # --- several questions in one message
    Case("multi_status_and_policy", "shipped",
         ("{first} {last} {zip} where is {order} and also whats your return window",),
         Expect(has=(ON_ITS_WAY, "30 days"))),
    Case("multi_items_and_shipping", "pending",
         ("my email is {email}, what's in order {order} and how much does express shipping "
          "cost",),
         Expect(has=("{thing}", "$14.95"))),
    # --- closing politely
    Case("close_great_thank_you", "pending",
         ("whats ur return policy", "great, thank you"),
         Expect(has=POLITE, lacks=ASKS_ID)),
    Case("close_all_good_ty", "shipped",
         (ID + " where is {order}", "all good ty"),
         Expect(has=POLITE, lacks=("not sure",))),
    Case("close_nope_thats_it", "pending",
         ("how long do refunds take", "nope that's it"),
         Expect(has=POLITE, lacks=("not sure",))),
    # --- anger, legal, a person
    Case("anger_third_time", "shipped",
         ("This is the THIRD time I'm asking where my order is, useless company",),
         Expect(has=(SORRY,), handoff=True)),
    Case("anger_caps", "delivered",
         ("WHERE IS MY REFUND ITS BEEN 3 WEEKS this is ridiculous",),
         Expect(has=(SORRY,), handoff=True)),
    Case("legal_threat", "pending",
         ("if this isnt fixed today im going to sue you",),
         Expect(handoff=True)),
    Case("card_number", "delivered",
         ("can u refund it to my card 4111 1111 1111 1111",),
         Expect(handoff=True, lacks=("4111 1111",))),
    Case("person_asked", "pending", ("can i talk to a real person",), Expect(handoff=True)),
    Case("person_typo", "pending", ("i want to speak to a humen agent pls",),
         Expect(handoff=True)),
    Case("person_mid_flow", "pending", ("cancel my order", "just get me a human"),
         Expect(handoff=True)),
    # --- eligibility: told at once, offered what is possible
    Case("shipped_cancel", "shipped",
         (Say("{first} {last} {zip}. cancel {order} please i dont need it anymore",
              lacks=REASON_Q),),
         Expect(has=("shipped", "return"))),
    Case("shipped_cancel_identity_later", "shipped",
         ("cancel order {order}", Say("{first} {last} {zip}", lacks=REASON_Q)),
         Expect(has=("shipped", "return"))),
    Case("over_cap_return_held", "over_cap",
         (ID + " i want to return everything from {order} for a refund to the original "
          "payment method", Say("yes", button="yes")),
         Expect(handoff=True)),
    Case("old_order_return_refused", "old_delivered",
         (ID + " i want to return the {item} from {order}, refund to the original payment "
          "method",),
         Expect(has=("30 days",))),
    Case("address_change", "pending",
         (ID + " can you change the shipping address on {order} to 55 Pine Street, Portland, "
          "OR 97201", Say("yes", button="yes")),
         Expect(writes=(("order", "pending"),))),
    Case("address_germany_refused", "pending",
         (ID + " please send {order} to Hauptstrasse 5, 10115 Berlin, Germany instead",),
         Expect(has=("canada",))),
)
