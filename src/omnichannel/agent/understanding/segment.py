"""One message, several requests: split into the parts that each ask one thing.

The joining words ("and also", "y también", "und außerdem") are a table per language, read in
the turn's language."""

from __future__ import annotations

from omnichannel.agent.understanding.wording import Wording

_EN_SPLIT = (
    r"(?<=[?!])\s+|(?<=[.;])\s+(?=[A-Za-z])|\n+|"
    r"\s+(?:and also|also,|plus,|oh and|and another thing|another question|btw,?|"
    r"by the way,?|one more thing,?|and one more thing,?|p\.?s\.?)\s+|"
    # "how much is shipping and how long do refunds take": a new question after "and".
    r",?\s+and\s+(?=(how|what|when|where|which|why|who|do|does|did|can|could|is|are|will|"
    r"would|should)\b)")
# Per language: words that open another request, "and", and the words a question starts with.
_JOINS = {
    "es": (r"y tambi[ée]n|adem[áa]s,?|tambi[ée]n,|otra cosa,?|otra pregunta,?|por cierto,?|"
           r"una cosa m[áa]s,?|y otra cosa,?|pd:?", r"y|e",
           r"c[óo]mo|qu[ée]|cu[áa]ndo|d[óo]nde|cu[áa]l|cu[áa]nto|por qu[ée]|puedo|pueden|hay|"
           r"tienen|hacen|se puede|¿"),
    "de": (r"und au(ß|ss)erdem|au(ß|ss)erdem,?|und auch|noch etwas,?|noch eine frage,?|"
           r"[üu]brigens,?|und noch (etwas|was),?|ps:?", r"und",
           r"wie|was|wann|wo|welche\w*|warum|kann|k[öo]nnen|k[öo]nnt|ist|gibt|habt|muss"),
    "fr": (r"et aussi|aussi,|de plus,?|autre chose,?|autre question,?|au fait,?|"
           r"une derni[èe]re chose,?|et puis|ps:?", r"et",
           r"comment|quand|o[ùu]|quel\w*|pourquoi|combien|est-ce|puis-je|pouvez|y a-t-il"),
    "pt": (r"e tamb[ée]m|al[ée]m disso,?|outra coisa,?|outra pergunta,?|j[áa] agora,?|"
           r"mais uma coisa,?|ps:?", r"e",
           r"como|quando|onde|qual|quais|quanto|porque|porqu[êe]|posso|podem|h[áa]|t[êe]m"),
    "it": (r"e anche|inoltre,?|un'altra cosa,?|altra domanda,?|tra l'altro,?|a proposito,?|"
           r"ancora una cosa,?|ps:?", r"e",
           r"come|quando|dove|quale|quali|quanto|perch[ée]|posso|potete|c'[èe]|avete"),
    "nl": (r"en ook|verder,?|nog iets,?|nog een vraag,?|trouwens,?|overigens,?|en nog iets,?|"
           r"ps:?", r"en",
           r"hoe|wat|wanneer|waar|welke|waarom|hoeveel|kan|kunnen|kun|is er|zijn er|hebben"),
}
_SPLIT = Wording({"en": _EN_SPLIT} | {
    lang: (rf"(?<=[?!])\s+|(?<=[.;])\s+(?=[^\W\d_¿¡])|\n+|\s+(?=¿)|"
           rf"\s+(?:{more})\s+|,?\s+(?:{conj})\s+(?=(?:{question})(?:\b|\s))")
    for lang, (more, conj, question) in _JOINS.items()})
MIN_WORDS = 3


def parts(text: str) -> list[str]:
    """Clauses long enough to carry a request; short fragments join the one before."""
    out: list[str] = []
    for piece in _SPLIT.split(text):
        piece = (piece or "").strip(" ,")
        if not piece:
            continue
        if out and (len(piece.split()) < MIN_WORDS or len(out[-1].split()) < MIN_WORDS):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out or [text.strip()]


_DETAIL = Wording({
    "en": r"^\W*(and |also |oh and )?(please |pls |kindly )?(use|put|charge|send|refund|credit|"
          r"pay|bill|return|give|the refund|any price difference|the price difference|the "
          r"difference|price difference|the money|money)\b.*\b(paypal|gift ?card|credit card|"
          r"debit card|card ending|visa|mastercard|amex|american express|discover|original "
          r"(payment|method|card)|same card|my card|account)\b",
    "es": r"^\W*(y |tambi[ée]n )?(por favor )?(usa|usad|usen|carga|env[íi]a|devuelve|reembolsa|"
          r"ingresa|abona|paga|el reembolso|la diferencia|el dinero)\b.*\b(paypal|tarjeta "
          r"regalo|tarjeta de cr[ée]dito|tarjeta de d[ée]bito|tarjeta|visa|mastercard|amex|"
          r"m[ée]todo (original|de pago)|misma tarjeta|cuenta)\b",
    "de": r"^\W*(und |auch )?(bitte )?(nutze|nutzen|belaste|sende|erstatte|zahle|die "
          r"erstattung|die differenz|das geld)\b.*\b(paypal|geschenkkarte|gutschein|"
          r"kreditkarte|karte|visa|mastercard|amex|urspr[üu]ngliche zahlungs\w*|konto)\b",
    "fr": r"^\W*(et |aussi )?(s'il vous pla[îi]t )?(utilisez|utilise|d[ée]bitez|envoyez|"
          r"remboursez|cr[ée]ditez|le remboursement|la diff[ée]rence|l'argent)\b.*\b(paypal|"
          r"carte cadeau|carte bancaire|carte|visa|mastercard|amex|moyen de paiement|compte)\b",
    "pt": r"^\W*(e |tamb[ée]m )?(por favor )?(usa|use|cobra|envia|devolve|reembolsa|credita|"
          r"o reembolso|a diferen[çc]a|o dinheiro)\b.*\b(paypal|cart[ãa]o (de )?oferta|"
          r"cart[ãa]o presente|cart[ãa]o|visa|mastercard|amex|m[ée]todo (original|de pagamento)|"
          r"conta)\b",
    "it": r"^\W*(e |anche )?(per favore )?(usa|usate|addebita|invia|rimborsa|accredita|"
          r"il rimborso|la differenza|i soldi)\b.*\b(paypal|carta regalo|buono regalo|"
          r"carta di credito|carta|visa|mastercard|amex|metodo (originale|di pagamento)|"
          r"conto)\b",
    "nl": r"^\W*(en |ook )?(graag |alsjeblieft )?(gebruik|stuur|betaal|stort|de terugbetaling|"
          r"het verschil|het geld)\b.*\b(paypal|cadeaukaart|cadeaubon|creditcard|kaart|visa|"
          r"mastercard|amex|oorspronkelijke betaal\w*|rekening|ideal)\b",
}, english_too=True)


def is_detail(clause: str) -> bool:
    """A clause that only says how to pay or where the money goes, not what to do."""
    return bool(_DETAIL.search(clause)) and len(clause.split()) <= 16
