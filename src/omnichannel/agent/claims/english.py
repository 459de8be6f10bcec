"""The English words the claim checker reads."""

from __future__ import annotations

from collections.abc import Mapping

from omnichannel.agent.claims.language import Aux, Language, Role, Verb, Who

_EN_VERBS = (
    Verb("refund", Role.ACT, "refunds?|reimburses?|credits? (?:it )?back/refunding|reimbursing"
         "/refunded|reimbursed|credited back"),
    Verb("cancel", Role.ACT, "cancels?/cancell?ing/cancell?ed"),
    Verb("return", Role.ACT, "returns?/returning/returned", ("refund",)),
    Verb("exchange", Role.ACT, "exchanges?|swaps?/exchanging|swapping/exchanged|swapped"),
    Verb("replacement", Role.ACT, "replaces?|reships?|resends?/replacing|reshipping|resending"
         "/replaced|reshipped|resent", ("label", "email")),
    Verb("email", Role.ACT, "e-?mails?/e-?mailing/e-?mailed", ("label", "discount", "credit")),
    Verb("ship", Role.ACT, "ships?|dispatch(?:es)?|deliver(?:s)?|sends? out|mails? out"
         "/shipping|dispatching|delivering|sending out|mailing out"
         "/shipped|dispatched|delivered|sent out|mailed out", ("replacement", "label"),
         itself=True),
    Verb("credit", Role.ACT, "credits?/crediting/credited"),
    Verb("discount", Role.ACT, "waives?|discounts?|comps?|upgrades?|expedites?|price[- ]match"
         "/waiving|discounting|comping|upgrading|expediting|price[- ]matching"
         "/waived|discounted|comped|upgraded|expedited|price[- ]matched"),
    Verb("payment", Role.ACT, "charges?|bills?/charging|billing/charged|billed"),
    Verb("items", Role.ACT, "updates?|changes?|modif(?:y|ies)|switch(?:es)?|edits?|corrects?"
         "|amends?|adjusts?|adds?|removes?|appl(?:y|ies)"
         "/updating|changing|modifying|switching|editing|correcting|amending|adjusting|adding"
         "|removing|applying/updated|changed|modified|switched|edited|corrected|amended"
         "|adjusted|added|removed|applied",
         ("address", "payment", "discount", "credit", "refund")),
    Verb(None, Role.ACT, "process(?:es)?|issues?|submits?|initiates?|starts?|arranges?|sets? up"
         "|creates?|places?|files?|opens?|puts? through|completes?|approves?|takes? care of"
         "|sorts? out|prepares?|books?|raises?|generates?|authori[sz]es?|finali[sz]es?|sends?"
         "|mails?|notif(?:y|ies)|alerts?|forwards?|pass(?:es)?|requests?"
         "/processing|issuing|submitting|initiating|starting|arranging|setting up|creating"
         "|placing|filing|opening|putting through|completing|approving|taking care of|sorting out"
         "|preparing|booking|raising|generating|authori[sz]ing|finali[sz]ing|sending|mailing"
         "|notifying|alerting|forwarding|passing|requesting"
         "/processed|issued|submitted|initiated|started|arranged|set up|created|placed|filed"
         "|opened|put through|complete|completed|approved|taken care of|took care of"
         "|sorted out|prepared|booked|raised|generated|authori[sz]ed|finali[sz]ed|sent|mailed"
         "|notified|alerted|forwarded|passed|requested|done|all set"),
    Verb(None, Role.ACT, "//confirmed", passive_only=True),
    Verb("handoff", Role.ACT, "transfers?|escalates?|connects?|refers?|hands? (?:you |this |it )?"
         "(?:over|off)|flags?|loops? in|assigns?/transferring|escalating|connecting|referring"
         "|handing (?:you |this |it )?(?:over|off)|flagging|looping in|assigning"
         "/transferred|escalated|connected|referred|handed (?:you |this |it )?(?:over|off)"
         "|flagged|looped in|assigned"),
    Verb("handoff", Role.CONTACT, "get back to|get back in touch|be in touch|get in touch|follow up"
         "|reach out|contact|let you know|update you|keep you (?:posted|updated|informed)"
         "|circle back|write back|write to you|message you|touch base"
         "/getting back to|getting in touch|following up|reaching out|contacting|letting you know"
         "|updating you|keeping you (?:posted|updated|informed)|circling back|writing back"
         "|writing to you|messaging you|touching base"
         "/got back to|gotten back to|been in touch|got in touch|followed up|reached out"
         "|contacted|updated you|kept you (?:posted|updated|informed)|circled back|wrote back"
         "|wrote to you|messaged you|touched base"),
    Verb("callback", Role.CONTACT, "call you(?: back)?|call back|phone you|ring you(?: back)?"
         "|give you a (?:call|ring)|schedule a call(?:back)?|arrange a call(?:back)?"
         "/calling you(?: back)?|calling back|phoning you|ringing you|giving you a (?:call|ring)"
         "/called you(?: back)?|phoned you|rang you|gave you a (?:call|ring)"),
    Verb("handoff", Role.PERSON, "reply|replies|respond|responds|review|reviews|look into"
         "|looks into|take a look|takes a look|take over|takes over|help|helps|assist|assists"
         "|investigate|investigates|pick (?:this|it) up|join|joins|be with you|answer|answers"
         "|take (?:it|this|over) from here|takes (?:it|this|over) from here"
         "/replying|responding|reviewing|looking into|taking a look|taking over|helping"
         "|assisting|investigating|picking (?:this|it) up|joining|answering"
         "/replied|responded|reviewed|looked into|taken a look|took a look|taken over|took over"
         "|helped|assisted|investigated|picked (?:this|it) up|joined|answered"),
    Verb("handoff", Role.RECEIVE, "hear(?: back)?(?: from)?/hearing(?: back)?(?: from)?"
         "/heard(?: back)?(?: from)?"),
    Verb(None, Role.RECEIVE, "expect|look out for|keep an eye out for|watch for"
         "/expecting|looking out for", expect=True),
    Verb(None, Role.RECEIVE, "receives?|gets?|sees?|finds?|notices?"
         "/receiving|getting|seeing|finding|noticing/received|got|gotten|seen|saw|found|noticed"),
    Verb(None, Role.ARRIVE, "arrives?|reach(?:es)? (?:you|your)|follows?|appears?|shows? up"
         "|lands?|posts?|go(?:es)? through|comes? through|go(?:es)? (?:back )?to"
         "/arriving|reaching (?:you|your)|following|appearing|showing up|landing|posting"
         "|going through|coming through|going back to"
         "/arrived|reached (?:you|your)|followed|appeared|showed up|landed|posted|went through"
         "|gone through|came through|went (?:back )?to|gone (?:back )?to"
         "/on (?:its|their|the) way|heading your way|coming your way|in the (?:mail|post)"
         "|in your inbox|in transit|en route"),
)

_EN_CUES = (
    ("label", r"\blabels?\b"),
    ("replacement", r"\breplacements?\b|\breship\w*|\bresen[dt]\w*"),
    ("discount", r"\bdiscount\w*|\bcoupons?\b|\bpromo\w*|\bvouchers?\b|%\s*off\b|\bpercent off\b"
     r"|\bprice\b|\bgoodwill\b|\bwaive\w*|\bfree (?:shipping|upgrade|express)\b"
     r"|\bcompensation\b|\bfees?\b|\bat no (?:charge|cost)\b|\bfree of charge\b"
     r"|\bcomplimentary\b|\bfor free\b"),
    ("callback", r"\b(?:phone )?calls?\b|\bcallbacks?\b"),
    ("credit", r"\b(?:store |account )?credit\b(?! card)|\bgift ?cards?\b"),
    ("email", r"\be-?mails?\b|\binstructions\b|\bconfirmation\b|\binbox\b"),
    ("refund", r"\brefund\w*|\breimburs\w*|\bmoney\b|\bthe (?:full )?amount\b|\$\s?\d"),
    ("exchange", r"\bexchang\w*|\bswap\w*"),
    ("return", r"\breturns?\b|\brma\b"),
    ("cancel", r"\bcancel\w*"),
    ("handoff", r"\bteam\b|\bcolleagues?\b|\bspecialists?\b|\bagents?\b|\bhumans?\b|\bperson\b"
     r"|\bstaff\b|\bsupervisors?\b|\bmanagers?\b|\btickets?\b|\brepresentatives?\b"
     r"|\bsomeone\b|\bwarehouse\b|\bdepartment\b|\breply\b|\bresponse\b"),
    ("address", r"\baddress(?:es)?\b"),
    ("payment", r"\bpayments?\b|(?<!gift )\bcards?\b|\bbilling\b|\bpaypal\b|\bcharge[sd]?\b"),
    ("items", r"\bitems?\b|\bsizes?\b|\bcolou?rs?\b|\bvariants?\b|\bquantit(?:y|ies)\b"
     r"|\bproducts?\b"),
    ("ship", r"\borders?\b|\bpackages?\b|\bparcels?\b|\bshipments?\b|\bdeliver\w*|\bship\w*"),
)


def _words(table: Mapping[Aux, str]) -> dict[str, Aux]:
    return {w: aux for aux, words in table.items() for w in words.split("|")}


_EN_AUX = _words({
    Aux.FUT: "will|'ll|wo|shall|sha|should|gonna|going to|about to|let me|let us|let 's"
             "|scheduled to|set to|due to|expected to|plan to|planning to|likely to",
    Aux.OFFER: "would|'d|could|can|ca|may|might|must|need to|needs to|have to|has to|had to"
               "|happy to|glad to|want to|wants to|like to|me to|us to|offer to|ought to"
               "|supposed to|free to|welcome to",
    Aux.NEG: "not|n't|never|cannot|no longer|unable to|yet to|failed to|hardly",
    Aux.ABLE: "able to",
    Aux.BE: "am|'m|is|'s|are|'re|be",
    Aux.WAS: "was|were",
    Aux.BEEN: "been",
    Aux.BEING: "being",
    Aux.HAVE: "have|'ve|has|had",
    Aux.DID: "did",
    Aux.DO: "do|does",
    Aux.FILL: "go ahead and|gone ahead and|went ahead and|going ahead and|goes ahead and"
              "|go and|proceed to|proceeded to|now|just|already|also|then|still|actually"
              "|successfully|personally|quickly|immediately|officially|fully|automatically"
              "|soon|definitely|certainly|happily|gladly|finally|really|hereby|both|usually"
              "|typically|normally|generally|promptly|manually|right",
})

ENGLISH = Language(
    verbs=_EN_VERBS,
    cues=_EN_CUES,
    aux=_EN_AUX,
    pronouns={"i": Who.SELF, "we": Who.WE, "us": Who.WE, "you": Who.SHOPPER, "it": Who.THING,
              "this": Who.THING, "that": Who.THING, "these": Who.THING, "those": Who.THING,
              "everything": Who.THING, "they": Who.PERSON, "he": Who.PERSON, "she": Who.PERSON,
              "someone": Who.PERSON, "somebody": Who.PERSON, "nothing": Who.NOBODY,
              "nobody": Who.NOBODY, "none": Who.NOBODY},
    people=frozenset("team teams colleague colleagues specialist specialists agent agents human "
                     "humans person people staff supervisor supervisors manager managers "
                     "representative representatives rep member members expert experts advisor "
                     "advisors adviser associate associates someone somebody teammate support "
                     "service".split()),
    agents=frozenset("warehouse store shop system department company fulfillment fulfilment "
                     "billing".split()),
    determiners=frozenset("the your my our this that these those its their his her a an one "
                          "another both order".split()),
    indefinite=frozenset({"a", "an", "another"}),
    generic=frozenset("any all every each most many some such".split()),
    nobody=frozenset("no nothing none nobody neither never".split()),
    joins=frozenset({",", "and", "or", "&", "plus"}),
    breaks=frozenset(";|:|—|–|-|(|)|\"|but|so|because|since|while|which|who|where|as"
                     "|though|although|however|meanwhile|otherwise|so that".split("|")),
    conditions=frozenset("if|once|when|whenever|after|before|until|unless|upon|provided"
                         "|assuming|whether|as soon as|in case|as long as".split("|")),
    openers=frozenset("would could can shall should will do does did is are was were have has "
                      "may might what when where which who whom whose why how anything any want "
                      "need wanna".split()),
    objects=frozenset("it them you that this your the both".split()),
    prepositions=frozenset("with without for to of in on at by from about into via per "
                           "including".split()),
    tag=r"^(?:ok(?:ay)?|alright|all right|right|sound good|does that (?:sound good|work)"
        r"(?: for you)?|is that (?:ok(?:ay)?|alright|all right|fine|good)(?: with you)?"
        r"|shall i|should i|yes|correct)\W*$",
    conditional=r"\b(?:if|once|when|whenever|as soon as|after|before|until|unless|upon"
                r"|provided|assuming|with your (?:ok|okay|approval|confirmation|go-ahead"
                r"|permission|consent))\b|^\W*(?:please |just |simply )?(?:confirm|reply|say"
                r"|type|answer|tap|click|press|respond)\b.*\band\b",
    timeframe=r"\b(?:within|in (?:\d|a |an |one |two |three |a few )|by |tomorrow|soon"
              r"|shortly|next |today|later|over the next)",
    destination=r"\baddress\b|\bnow ships?\b|\bto \d+ \w+",
    routine=r"\btracking\b|\bshipping (?:confirmation|notification|update)s?\b"
            r"|\border confirmation\b|\b(?:when|once) (?:it|your order|the order) ships\b",
    record=r"\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b"
           r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2}\b"
           r"|\b\d{1,2}(?:st|nd|rd|th)? (?:of )?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct"
           r"|nov|dec)[a-z]*\b|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b"
           r"|\byesterday\b|\blast (?:week|month|year|night)\b|\b\d+ (?:days?|weeks?|months?"
           r"|hours?) ago\b|\bearlier (?:today|this \w+)\b|\bshows?\b|\bshowing\b|\bmarked\b"
           r"|\bstatus\b|\baccording to\b|\brecords? (?:show|say|indicate)",
    by_person=r"\bby (?:a |an |the |our |one of )",
    finished=r"^\W*(?:(?:all |it'?s |it is |that'?s |that is )?done|all set|all sorted"
             r"|sorted|success(?:fully)?|completed?|finished)\b\s*(?:[:!.,-]|$)",
    coming=r"\b(?:your|the) (?:new|replacement|exchanged?) [\w\s-]{0,60}?\b(?:is|are|will be)"
           r" (?:on (?:its|their|the) way|coming|being (?:sent|shipped))\b"
           r"|\b(?:your|the) (?:new|replacement|exchanged?) [\w\s-]{0,60}?\bwill (?:ship|arrive"
           r"|be (?:sent|shipped|delivered))\b",
)
