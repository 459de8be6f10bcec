"""The claim checker: every way a reply can say an action happened, and what may back it."""

from __future__ import annotations

import time

import pytest

from omnichannel.agent.claims import CAPABILITIES, LANGUAGES, NEVER, Claim, claims, unbacked

RETURN = "return_delivered_order_items"
EXCHANGE = "exchange_delivered_order_items"
CANCEL = "cancel_pending_order"
REFUND = "refund_order"
ADDRESS = "modify_pending_order_address"
USER_ADDRESS = "modify_user_address"
PAYMENT = "modify_pending_order_payment"
ITEMS = "modify_pending_order_items"
TRANSFER = "transfer_to_human_agents"
WRITES = set(CAPABILITIES)

# (reply, kind, tense, a tool that backs it; None: nothing can)
CLAIMS: list[tuple[str, str, str, str | None]] = [
    # refund
    ("I refunded you.", "refund", "done", REFUND),
    ("I've processed your refund.", "refund", "done", REFUND),
    ("Your refund has been processed.", "refund", "done", CANCEL),
    ("Your refund is being processed.", "refund", "doing", RETURN),
    ("I’m processing your refund now.", "refund", "doing", REFUND),
    ("You'll receive your refund within 5-7 business days.", "refund", "will", RETURN),
    ("I'll refund you now.", "refund", "will", REFUND),
    ("YOU WILL BE REFUNDED IN FULL.", "refund", "will", CANCEL),
    ("The amount will be credited back to your card.", "refund", "will", REFUND),
    ("Your refund is on its way.", "refund", "will", REFUND),
    ("$49.99 has been sent back to your original payment method.", "refund", "done", REFUND),
    ("You can expect your refund within 5-7 business days.", "refund", "will", RETURN),
    ("Your refund should appear on your statement in 5-7 business days.", "refund", "will",
     PAYMENT),
    ("Great news: your refund has been approved!", "refund", "done", EXCHANGE),
    ("Processing your refund now.", "refund", "doing", REFUND),
    # cancel
    ("I cancelled your order.", "cancel", "done", CANCEL),
    ("The order is cancelled.", "cancel", "done", CANCEL),
    ("Done: order #W5442520 is cancelled.", "cancel", "done", CANCEL),
    ("I'm going to cancel the order.", "cancel", "will", CANCEL),
    ("Let me cancel that for you.", "cancel", "will", CANCEL),
    ("I've gone ahead and cancelled the order.", "cancel", "done", CANCEL),
    ("Your cancellation is confirmed.", "cancel", "done", CANCEL),
    ("We're cancelling it right now.", "cancel", "doing", CANCEL),
    ("Your order's been canceled.", "cancel", "done", CANCEL),
    # return
    ("I've submitted the return request for the hiking boots.", "return", "done", RETURN),
    ("I will now go ahead and process the return.", "return", "will", RETURN),
    ("Your return has been approved.", "return", "done", RETURN),
    # exchange
    ("Your exchange has been set up.", "exchange", "done", EXCHANGE),
    ("We're processing the exchange.", "exchange", "doing", EXCHANGE),
    ("I'll swap the boots for a larger size.", "exchange", "will", EXCHANGE),
    # label
    ("I'll email you a label in 5 minutes.", "label", "will", RETURN),
    ("I have emailed you a return label.", "label", "done", RETURN),
    ("You will get a label in 5 minutes.", "label", "will", EXCHANGE),
    ("We’ll get a label over to you shortly.", "label", "will", RETURN),
    ("A label was sent.", "label", "done", RETURN),
    ("Our team will email you a label.", "label", "will", RETURN),
    ("The label should be in your inbox within minutes.", "label", "will", RETURN),
    ("Expect an email with your label shortly.", "label", "will", EXCHANGE),
    ("They'll email you the return label.", "label", "will", RETURN),
    ("The return label has been emailed to you.", "label", "done", RETURN),
    # email
    ("You should receive an email with the return instructions shortly.", "email", "will",
     RETURN),
    ("I'll email you the details.", "email", "will", EXCHANGE),
    ("I've sent you an email with the next steps.", "email", "done", RETURN),
    # ship
    ("Your order will now ship to 12 Oak Street.", "ship", "will", ADDRESS),
    ("We'll ship your order to the new address today.", "ship", "will", ADDRESS),
    ("Your order will be delivered to your new address.", "ship", "will", ADDRESS),
    # replacement: no tool ships one for free
    ("Your replacement will ship tomorrow.", "replacement", "will", None),
    ("The warehouse will ship a replacement.", "replacement", "will", None),
    ("I’ll have a replacement sent out today.", "replacement", "will", None),
    ("We've reshipped the missing tent poles.", "replacement", "done", None),
    # credit
    ("I've added $20 of store credit to your account.", "credit", "done", REFUND),
    ("Your account has been credited with $15.", "credit", "done", REFUND),
    # discount: no tool gives one
    ("I've issued a 10% discount code.", "discount", "done", None),
    ("I've waived the restocking fee.", "discount", "done", None),
    ("We'll send you a coupon for your next order.", "discount", "will", None),
    ("I'm upgrading you to express shipping at no cost.", "discount", "doing", None),
    ("I've also emailed you a discount code.", "discount", "done", None),
    # address, payment, items
    ("I've updated your shipping address.", "address", "done", ADDRESS),
    ("Your address has been changed to 5 Elm St.", "address", "done", USER_ADDRESS),
    ("Your payment method has been switched to PayPal.", "payment", "done", PAYMENT),
    ("You will be charged the difference.", "payment", "will", ITEMS),
    ("I've changed the size to large.", "items", "done", ITEMS),
    ("I've removed the blue shirt from your order.", "items", "done", ITEMS),
    # handoff: a person will look, reply or contact
    ("I'm transferring you to a colleague.", "handoff", "doing", TRANSFER),
    ("I've passed this to our team.", "handoff", "done", TRANSFER),
    ("Let me transfer you to a colleague.", "handoff", "will", TRANSFER),
    ("A person will reply here shortly.", "handoff", "will", TRANSFER),
    ("Our team will get back to you within 24 hours.", "handoff", "will", TRANSFER),
    ("You’ve been transferred to our support team.", "handoff", "done", TRANSFER),
    ("An agent has been assigned to your case.", "handoff", "done", TRANSFER),
    ("I'll look into this and get back to you.", "handoff", "will", TRANSFER),
    ("A member of our team will be with you shortly.", "handoff", "will", TRANSFER),
    ("Your case will be reviewed by our team.", "handoff", "will", TRANSFER),
    ("Transferring you to a human now.", "handoff", "doing", TRANSFER),
    ("We will be in touch soon.", "handoff", "will", TRANSFER),
    ("You'll hear from us shortly.", "handoff", "will", TRANSFER),
    ("I've escalated this to a supervisor.", "handoff", "done", TRANSFER),
    ("Our team will email you.", "handoff", "will", TRANSFER),
    # callback: the shop cannot phone
    ("Someone will call you tomorrow.", "callback", "will", None),
    ("We'll give you a call this afternoon.", "callback", "will", None),
    ("You'll receive a call from our team.", "callback", "will", None),
    ("I'm calling you back in ten minutes.", "callback", "doing", None),
]

NOT_CLAIMS = [
    # questions and offers
    "Would you like me to cancel it?",
    "I can start a return for you if you like.",
    "Shall I go ahead?",
    "Do you want me to refund the shipping?",
    "I could transfer you to a colleague if you prefer.",
    "If you'd like, I can email you a return label.",
    "Let me know if you'd like me to cancel it.",
    "I'd be happy to refund the shipping fee.",
    "Happy to help with that!",
    "Would you like a refund or an exchange?",
    "Should I cancel the pending order and email you a label?",
    # negations
    "I haven't cancelled anything yet.",
    "Nothing has been refunded.",
    "No refund has been issued yet.",
    "I’m not able to issue a refund for this order.",
    "I can't cancel an order that has already shipped.",
    "Your order hasn't been cancelled.",
    "You won't be charged anything.",
    "We never send replacements without a return.",
    "I didn't change your address.",
    # general policy
    "Refunds are issued to the original payment method within 5-7 business days.",
    "Returns are free within 30 days.",
    "We ship to Canada.",
    "Exchanges are processed once we receive the original item.",
    "A refund is issued once the return is received.",
    "Items must be returned within 30 days.",
    "Orders ship within 1-2 business days.",
    "Store credit never expires.",
    "Gift cards can't be refunded.",
    "Standard shipping takes 3-5 business days.",
    # instructions
    "You can start a return from your order page.",
    "Please reply yes to confirm.",
    "To start a return, go to your orders page.",
    "Simply send the item back using the prepaid label.",
    "You'll need to ship the item back within 30 days.",
    "Feel free to reach out if you need anything else.",
    "Click the link in the email to print your label.",
    # order status from the shop
    "Your order #W123 was delivered on May 3.",
    "It shipped yesterday with UPS.",
    "Your order is on its way.",
    "Your order should arrive by Friday.",
    "I see your order was delivered on Monday.",
    "Your refund of $50 was issued on May 5.",
    "According to our records, a refund was issued to your Visa.",
    "Your order #W2378156 is pending; it contains 2 items.",
    "I found your order.",
    "Once your order ships, you'll get a tracking email.",
    # the shopper's own actions
    "You returned it last week.",
    "You cancelled this order yourself on May 2.",
    "I see you already started a return.",
    # greetings and thanks
    "Hi Maya, thanks for reaching out!",
    "Thank you, have a great day.",
    "You're verified, thanks Olivia.",
    "Sorry to hear your package arrived damaged.",
    "Hello! How can I help you today?",
]


def test_the_tables_are_big_enough() -> None:
    assert len(CLAIMS) >= 60 and len(NOT_CLAIMS) >= 35
    assert {kind for _, kind, _, _ in CLAIMS} == {
        "refund", "cancel", "return", "exchange", "label", "email", "ship", "replacement",
        "credit", "discount", "address", "payment", "items", "handoff", "callback"}
    assert {tense for _, _, tense, _ in CLAIMS} == {"done", "doing", "will"}


@pytest.mark.parametrize(("text", "kind", "tense", "tool"), CLAIMS)
def test_a_claim_is_read_and_needs_its_tool(text: str, kind: str, tense: str,
                                            tool: str | None) -> None:
    (claim,) = claims(text)
    assert (claim.kind, claim.tense) == (kind, tense)
    assert unbacked(text, ()) == [claim]
    if tool is None:
        assert unbacked(text, WRITES, handed_off=True) == [claim]
    else:
        assert unbacked(text, {tool}) == []
        others = {t for t in WRITES if kind not in unbacked_kinds(t)}
        assert unbacked(text, others) == [claim]


def unbacked_kinds(tool: str) -> set[str]:
    cap = CAPABILITIES[tool]
    return set(cap.does | cap.then)


@pytest.mark.parametrize("text", NOT_CLAIMS)
def test_not_a_claim(text: str) -> None:
    assert claims(text) == []


def test_the_claim_is_the_clause_as_written() -> None:
    assert claims("I’m processing your refund now.") == [
        Claim("I’m processing your refund now", "refund", "doing")]
    assert [c.text for c in claims("Thanks! Once you confirm, I'll cancel it.")] == [
        "I'll cancel it"]


def test_each_unbacked_claim_in_a_reply_is_flagged() -> None:
    reply = ("I've cancelled your order. You'll get a refund in 5-7 business days, and I've "
             "also emailed you a discount code. Someone will call you tomorrow to check in!")
    assert [(c.kind, c.tense) for c in claims(reply)] == [
        ("cancel", "done"), ("refund", "will"), ("discount", "done"), ("callback", "will")]
    assert [c.kind for c in unbacked(reply, {CANCEL})] == ["discount", "callback"]
    assert [c.kind for c in unbacked(reply, ())] == ["cancel", "refund", "discount", "callback"]


def test_two_actions_in_one_sentence() -> None:
    found = claims("I've cancelled your order and refunded $50.")
    assert [(c.kind, c.tense) for c in found] == [("cancel", "done"), ("refund", "done")]
    found = claims("I'll cancel it and email you a label.")
    assert [(c.kind, c.tense) for c in found] == [("cancel", "will"), ("label", "will")]
    assert [c.kind for c in unbacked("I'll cancel it and email you a label.", {CANCEL})] == [
        "label"]


def test_a_statement_before_a_question_still_counts() -> None:
    assert [c.kind for c in claims("I've cancelled it, anything else?")] == ["cancel"]
    assert [c.kind for c in claims("Your refund has been processed — is there anything else "
                                   "I can help with?")] == ["refund"]
    assert claims("Would you like me to cancel it and email a label?") == []


CONDITIONALS = [
    ("Once you confirm, I'll cancel it.", CANCEL),
    ("If you say yes I will start the return.", RETURN),
    ("Just reply YES and I'll cancel it right away.", CANCEL),
    ("I'll cancel the order as soon as you confirm.", CANCEL),
    ("With your approval, I will start the exchange.", EXCHANGE),
    ("I'll update the shipping address once you confirm.", ADDRESS),
    ("I'll cancel it now, okay?", CANCEL),
    ("Once you confirm, I'll cancel it and you'll get a full refund within 5-7 business days.",
     CANCEL),
    ("If that looks right, I'll submit the return and you'll receive a label by email.", RETURN),
]


@pytest.mark.parametrize(("text", "tool"), CONDITIONALS)
def test_a_conditional_promise_rests_on_the_pending_write(text: str, tool: str) -> None:
    assert claims(text) and all(c.tense == "will" for c in claims(text))
    assert unbacked(text, (), pending={tool}) == []
    assert unbacked(text, ()) == claims(text)  # nothing is waiting for a yes: unbacked
    assert unbacked(text, (), pending={TRANSFER}) == claims(text)  # another write is waiting


def test_a_pending_write_backs_only_the_conditional() -> None:
    assert [c.kind for c in unbacked("I'll cancel it now.", (), pending={CANCEL})] == ["cancel"]
    assert [c.kind for c in unbacked("I've cancelled it.", (), pending={CANCEL})] == ["cancel"]
    assert [c.kind for c in unbacked("I'm cancelling it.", (), pending={CANCEL})] == ["cancel"]
    # Once confirmed, it is done: the same sentence with the write in `done` is backed.
    assert unbacked("Once you confirm, I'll cancel it.", {CANCEL}) == []


def test_a_handoff_backs_a_person_replying_and_nothing_else() -> None:
    reply = "A person will reply here shortly. I refunded you."
    assert [c.kind for c in unbacked(reply, (), handed_off=True)] == ["refund"]
    assert [c.kind for c in unbacked(reply, ())] == ["handoff", "refund"]
    assert unbacked("Our team will review your request and get back to you.", (),
                    handed_off=True) == []
    assert [c.kind for c in unbacked("Someone will call you tomorrow.", {TRANSFER},
                                     handed_off=True)] == ["callback"]


def test_what_no_tool_can_back() -> None:
    everything = set()
    for cap in CAPABILITIES.values():
        everything |= cap.does | cap.then
    assert NEVER == {"callback", "discount", "replacement"}
    assert not NEVER & everything
    assert set(CAPABILITIES) == {CANCEL, RETURN, EXCHANGE, ITEMS, ADDRESS, PAYMENT, USER_ADDRESS,
                                 REFUND, TRANSFER}
    for tool in (RETURN, EXCHANGE):
        assert {"label", "email", "refund"} <= unbacked_kinds(tool)
    assert "refund" in unbacked_kinds(CANCEL) and "ship" in unbacked_kinds(ADDRESS)


def test_an_unknown_language_reads_as_english() -> None:
    assert "en" in LANGUAGES
    text = "I'll email you a label in 5 minutes."
    assert claims(text, lang="xx") == claims(text) != []
    assert unbacked(text, (), lang="xx") == unbacked(text, ())


def test_fast_enough_for_every_reply() -> None:
    reply = " ".join(t for t, *_ in CLAIMS[:6]) + " " + " ".join(NOT_CLAIMS[:6])
    claims(reply)
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(20):
            claims(reply)
        best = min(best, (time.perf_counter() - started) / 20)
    assert best < 0.002  # about 0.5 ms for these twelve sentences on one core


@pytest.mark.parametrize(("text", "kind", "backer"), [
    ("Done: your exchange is registered.", "exchange", "exchange_delivered_order_items"),
    ("Done: your new Merino Crew Base Layer is on its way.", "ship",
     "exchange_delivered_order_items"),
    ("Your new boots will ship tomorrow.", "ship", "exchange_delivered_order_items"),
    ("All set!", "action", "cancel_pending_order"),
    ("Done.", "action", "modify_pending_order_address"),
    ("Sorted: the replacement sizes are coming.", "ship", "exchange_delivered_order_items"),
])
def test_claims_made_without_a_verb_of_the_action(text: str, kind: str, backer: str) -> None:
    (found,) = claims(text)
    assert found.kind == kind
    assert unbacked(text, ()) and not unbacked(text, {backer})


@pytest.mark.parametrize("text", ["Is that done?", "Done with your order? Tell me.",
                                  "Your order is on its way.", "Let me know when you're done."])
def test_questions_and_status_about_done_are_not_claims(text: str) -> None:
    assert claims(text) == []
