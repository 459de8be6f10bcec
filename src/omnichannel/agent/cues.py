"""Words that decide what a message is: asking or doing, one of the shopper's orders or any,
a request, an escape, a question of its own. Rules over the classifier's reading, kept in one
place so they can be read (and tested) together."""

from __future__ import annotations

import re

from omnichannel.agent.understanding import Prediction

QUESTION = re.compile(r"\?\s*$|^\W*(also |and |oh and |btw )?(how|what|when|where|which|why|"
                      r"do|does|did|can|could|is|are|will|would)\b", re.I)
# A policy answer offers to start the matching task; a general question about a task
# ("how do I return an item?", "can I swap for another colour?") gets the policy and the offer.
OFFERS = {"return_policy": ("Start a return", "return"),
          "cancellation_policy": ("Cancel an order", "cancel"),
          "return_items": ("Start a return", "return"),
          "cancel_order": ("Cancel an order", "cancel"),
          "exchange_items": ("Start an exchange", "exchange"),
          "modify_items": ("Change an order", "modify_items"),
          "modify_order_address": ("Change an order's address", "modify_address"),
          "refund_status": ("Check my refund", "refund_status")}
# Intents close enough that their confidence adds up: the flow or the offer tells them apart.
FAMILIES = (
    frozenset({"return_items", "return_policy"}),
    frozenset({"cancel_order", "cancellation_policy"}),
    frozenset({"exchange_items", "modify_items"}),
    frozenset({"modify_order_address", "modify_default_address"}),
    frozenset({"order_status", "delivery_time"}),
)
# Words that point at one order of the shopper's, which makes a question a request.
PERSONAL = re.compile(
    r"\b(my|our) (last |recent |latest |new |current |first |second |other )?(order|package|"
    r"parcel|purchase|delivery|shipment|item|items|stuff|things|return|refund|exchange|"
    r"booking)s?\b|\bthe (last|recent|latest|current|other|first|second|pending|shipped|"
    r"delivered|new) (order|package|"
    r"parcel|purchase|delivery|shipment|one)\b|\border (number|no\.?|id)\b|#\s?\w*\d|"
    r"\b[A-Z]{1,3}\d{4,}\b|\bi (just |recently |already )?(ordered|bought|purchased|"
    r"received|got|returned|sent)\b|\b(it|them)\b|\bthe [a-z]+ order\b|"
    r"\bthe order (i|we) (placed|made|sent)\b", re.I)
START = "start:"
ARE_YOU_A_BOT = re.compile(r"^\W*(are|r) (you|u) (a |an )?(bot|robot|real|human|ai|person|"
                           r"machine|computer)\W*$", re.I)
ESCAPE = re.compile(r"^\s*(never ?mind|nvm|forget (it|that|about it)|start (over|again)|"
                    r"cancel (that|this)|stop|scratch that|leave it|skip( it)?|"
                    r"something else|different question)\b", re.I)
# "can I cancel the pending one?": asked about one of the shopper's orders, it is a request.
CAN_I_DO = re.compile(r"\b(can|could|may) (i|we|you) (please |still |just )?(cancel|return|"
                      r"send back|refund)\b", re.I)
POLICY_TWIN = {"cancellation_policy": "cancel_order", "return_policy": "return_items"}
TWIN_POLICY = {task: policy for policy, task in POLICY_TWIN.items()}
FEE = re.compile(r"\b(is there|are there|do you charge|will i be charged|what does it cost|how "
                 r"much does it cost) (a |an |any )?(fee|charge|cost|penalt\w*)|\b(fee|penalty|"
                 r"charge) (for|to|if) (cancel|return)\w*", re.I)
REQUEST = re.compile(r"\b(i|we) (need|want|would like|'d like|wanna|have) to|\bi'?d like to|"
                     r"^\W*(please|pls|kindly)\b|\b(can|could|would) you (please )?(cancel|return|"
                     r"refund|process|start)|\bhelp me (to )?(cancel|return)", re.I)
EDIT_ORDER = re.compile(r"\b(chang\w*|add\w*|remov\w*|modif\w*|edit\w*|updat\w*|swap\w*|"
                        r"delet\w*)\b[^.?!]{0,40}\b(an|my|the|this|our) (last |recent )?order\b",
                        re.I)
NOT_WORKING = re.compile(r"\b(not|isn'?t|doesn'?t|won'?t|didn'?t|wont|cant|can'?t) "
                         r"(work|working|apply|applying|accepted|valid)|invalid|error", re.I)
TAKE_OFFER = re.compile(r"\b(start (one|it|a return|the return|that)|let'?s (do|start)|go ahead|"
                        r"yes,? please|please do|do it|sure)\b", re.I)
HOW_TO = re.compile(r"\b(how (do|can|could|would|should|does) (i|we|you|one|it)|how to|"
                    r"what'?s the (process|procedure|policy)|policy|can i|could i|is it "
                    r"possible|do you (allow|accept|let)|information (about|on)|info (about|on)|"
                    r"i don'?t know how|where (can|do) i|is there a way|what do i (have|need) "
                    r"to do)\b", re.I)


def family(p: Prediction) -> float:
    """The top intent's confidence with that of its close relatives added."""
    for family in FAMILIES:
        if p.intent in family:
            return round(sum(p.score(i) for i in family), 4)
    return p.confidence
