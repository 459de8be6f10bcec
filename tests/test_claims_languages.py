"""The claim checker in every shipped language: each tense and person of a claim is flagged
with its kind and backed by the tool that does it; questions, offers, refusals, policy and
conditions are not claims."""

from __future__ import annotations

import pytest

import omnichannel.i18n as i18n
from omnichannel.agent.claims import LANGUAGES, claims, unbacked

RETURN = "return_delivered_order_items"
EXCHANGE = "exchange_delivered_order_items"
CANCEL = "cancel_pending_order"
REFUND = "refund_order"
TRANSFER = "transfer_to_human_agents"

# language -> (reply, kind, a tool that backs it)
CLAIMS: dict[str, list[tuple[str, str, str]]] = {
    "es": [  # Spanish
        ('Ya he procesado tu reembolso.', 'refund', REFUND),
        ('Te he reembolsado 45 € a tu tarjeta.', 'refund', REFUND),
        ('Reembolsé el importe esta mañana.', 'refund', REFUND),
        ('Tu reembolso ha sido procesado.', 'refund', REFUND),
        ('Tu reembolso está siendo procesado.', 'refund', REFUND),
        ('Estoy procesando tu reembolso ahora mismo.', 'refund', REFUND),
        ('Te reembolsaré el importe completo.', 'refund', REFUND),
        ('Voy a reembolsarte el pedido.', 'refund', REFUND),
        ('El reembolso fue emitido a tu tarjeta.', 'refund', REFUND),
        ('He cancelado tu pedido W123.', 'cancel', CANCEL),
        ('Tu pedido ha sido cancelado.', 'cancel', CANCEL),
        ('Cancelé el pedido hace un momento.', 'cancel', CANCEL),
        ('Cancelaré tu pedido ahora.', 'cancel', CANCEL),
        ('Se ha cancelado tu pedido.', 'cancel', CANCEL),
        ('Hemos anulado el pedido.', 'cancel', CANCEL),
        ('He tramitado la devolución de las botas.', 'return', RETURN),
        ('Tu devolución está registrada.', 'return', RETURN),
        ('Te he enviado la etiqueta de devolución.', 'label', RETURN),
        ('Te enviaré una etiqueta por correo.', 'label', RETURN),
        ('Recibirás un correo con las instrucciones.', 'email', RETURN),
        ('Te llegará un correo en unos minutos.', 'email', RETURN),
        ('He tramitado el cambio de talla.', 'exchange', EXCHANGE),
        ('Te he transferido a un compañero.', 'handoff', TRANSFER),
        ('Un compañero te responderá pronto.', 'handoff', TRANSFER),
        ('Nuestro equipo se pondrá en contacto contigo.', 'handoff', TRANSFER),
        ('Te paso con un agente.', 'handoff', TRANSFER),
        ('Estoy derivando tu caso a nuestro equipo.', 'handoff', TRANSFER),
        ('Nuestro equipo revisará tu caso.', 'handoff', TRANSFER),
        ('Tu nuevo pedido será despachado a tu nueva dirección mañana.', 'ship', EXCHANGE),
        ('Hemos reembolsado el importe a tu tarjeta.', 'refund', REFUND),
        ('Tu pedido está siendo cancelado.', 'cancel', CANCEL),
        ('La etiqueta ha sido enviada a tu correo.', 'label', RETURN),
        ('Alguien de nuestro equipo te escribirá hoy.', 'handoff', TRANSFER),
    ],
    "de": [  # German
        ('Ich habe Ihre Erstattung bereits veranlasst.', 'refund', REFUND),
        ('Ich habe Ihnen 45 € auf Ihre Karte erstattet.', 'refund', REFUND),
        ('Ihre Erstattung wurde bearbeitet.', 'refund', REFUND),
        ('Ihre Erstattung wird gerade bearbeitet.', 'refund', REFUND),
        ('Ich werde Ihnen den Betrag erstatten.', 'refund', REFUND),
        ('Wir erstatten Ihnen den vollen Betrag.', 'refund', REFUND),
        ('Der Betrag wurde Ihrem Konto gutgeschrieben.', 'refund', REFUND),
        ('Soeben habe ich die Erstattung veranlasst.', 'refund', REFUND),
        ('Ihre Erstattung ist veranlasst.', 'refund', REFUND),
        ('Ich habe Ihre Bestellung storniert.', 'cancel', CANCEL),
        ('Ihre Bestellung wurde storniert.', 'cancel', CANCEL),
        ('Ich storniere Ihre Bestellung jetzt.', 'cancel', CANCEL),
        ('Ihre Bestellung ist storniert.', 'cancel', CANCEL),
        ('Die Bestellung habe ich gerade storniert.', 'cancel', CANCEL),
        ('Ich habe Ihre Rücksendung angelegt.', 'return', RETURN),
        ('Ich habe Ihnen das Rücksendeetikett geschickt.', 'label', RETURN),
        ('Ich schicke Ihnen ein Etikett per E-Mail.', 'label', RETURN),
        ('Sie erhalten in Kürze eine E-Mail mit der Anleitung.', 'email', RETURN),
        ('Sie werden eine E-Mail erhalten.', 'email', RETURN),
        ('Ich habe den Umtausch veranlasst.', 'exchange', EXCHANGE),
        ('Ich habe Sie an einen Kollegen weitergeleitet.', 'handoff', TRANSFER),
        ('Ein Kollege wird sich bei Ihnen melden.', 'handoff', TRANSFER),
        ('Unser Team meldet sich in Kürze bei Ihnen.', 'handoff', TRANSFER),
        ('Ich verbinde Sie mit einem Mitarbeiter.', 'handoff', TRANSFER),
        ('Unser Team prüft Ihren Fall.', 'handoff', TRANSFER),
        ('Ich leite Ihre Anfrage an unser Team weiter.', 'handoff', TRANSFER),
        ('Wir haben den Betrag auf Ihre Karte erstattet.', 'refund', REFUND),
        ('Wir werden Ihre Bestellung stornieren.', 'cancel', CANCEL),
        ('Das Etikett wurde an Ihre E-Mail-Adresse geschickt.', 'label', RETURN),
        ('Jemand aus unserem Team wird Ihnen heute schreiben.', 'handoff', TRANSFER),
    ],
    "fr": [  # French
        ("J'ai déjà traité votre remboursement.", 'refund', REFUND),
        ('Je vous ai remboursé 45 € sur votre carte.', 'refund', REFUND),
        ('Votre remboursement a été effectué.', 'refund', REFUND),
        ('Je suis en train de traiter votre remboursement.', 'refund', REFUND),
        ('Je vais rembourser la totalité de la commande.', 'refund', REFUND),
        ('Je vous rembourserai le montant complet.', 'refund', REFUND),
        ('Le remboursement sera crédité sur votre carte.', 'refund', REFUND),
        ('Nous avons procédé au remboursement.', 'refund', REFUND),
        ("J'ai annulé votre commande.", 'cancel', CANCEL),
        ("Je l'ai annulée à l'instant.", 'cancel', CANCEL),
        ('Votre commande a été annulée.', 'cancel', CANCEL),
        ("J'annulerai la commande tout de suite.", 'cancel', CANCEL),
        ('Votre commande est annulée.', 'cancel', CANCEL),
        ("J'ai enregistré le retour de vos chaussures.", 'return', RETURN),
        ("Je vous ai envoyé l'étiquette de retour.", 'label', RETURN),
        ('Je vous enverrai une étiquette par e-mail.', 'label', RETURN),
        ('Vous recevrez un e-mail avec les instructions.', 'email', RETURN),
        ("J'ai traité l'échange de taille.", 'exchange', EXCHANGE),
        ('Je vous ai transféré à un collègue.', 'handoff', TRANSFER),
        ('Un collègue vous répondra bientôt.', 'handoff', TRANSFER),
        ('Notre équipe vous contactera rapidement.', 'handoff', TRANSFER),
        ('Je vous mets en relation avec un conseiller.', 'handoff', TRANSFER),
        ("J'ai transmis votre demande à notre équipe.", 'handoff', TRANSFER),
        ('Notre équipe examinera votre dossier.', 'handoff', TRANSFER),
        ('Nous avons remboursé le montant sur votre carte.', 'refund', REFUND),
        ('Nous allons annuler votre commande.', 'cancel', CANCEL),
        ("L'étiquette a été envoyée à votre adresse e-mail.", 'label', RETURN),
        ("Quelqu'un de notre équipe vous écrira aujourd'hui.", 'handoff', TRANSFER),
    ],
    "pt": [  # Portuguese
        ('Já processei o seu reembolso.', 'refund', REFUND),
        ('Reembolsei o valor para o seu cartão.', 'refund', REFUND),
        ('O seu reembolso foi processado.', 'refund', REFUND),
        ('O seu reembolso está a ser processado.', 'refund', REFUND),
        ('Estou a processar o seu reembolso.', 'refund', REFUND),
        ('Vou reembolsar o valor total.', 'refund', REFUND),
        ('Reembolsaremos a encomenda amanhã.', 'refund', REFUND),
        ('O reembolso já foi emitido.', 'refund', REFUND),
        ('Cancelei a sua encomenda.', 'cancel', CANCEL),
        ('A sua encomenda foi cancelada.', 'cancel', CANCEL),
        ('Vamos cancelar a encomenda agora.', 'cancel', CANCEL),
        ('Cancelaremos a encomenda hoje.', 'cancel', CANCEL),
        ('Tratei da devolução das botas.', 'return', RETURN),
        ('Enviei-lhe a etiqueta de devolução.', 'label', RETURN),
        ('Já lhe enviei a etiqueta por e-mail.', 'label', RETURN),
        ('Vai receber um e-mail com as instruções.', 'email', RETURN),
        ('Receberá um e-mail em breve.', 'email', RETURN),
        ('Tratei da troca do tamanho.', 'exchange', EXCHANGE),
        ('Transferi o seu caso para um colega.', 'handoff', TRANSFER),
        ('Um colega vai responder-lhe em breve.', 'handoff', TRANSFER),
        ('A nossa equipa entrará em contacto consigo.', 'handoff', TRANSFER),
        ('Estou a encaminhar o seu pedido para a nossa equipa.', 'handoff', TRANSFER),
        ('A nossa equipa vai analisar o seu caso.', 'handoff', TRANSFER),
        ('Reembolsámos o valor no seu cartão.', 'refund', REFUND),
        ('A sua encomenda está a ser cancelada.', 'cancel', CANCEL),
        ('A etiqueta foi enviada para o seu e-mail.', 'label', RETURN),
        ('Alguém da nossa equipa vai contactá-lo hoje.', 'handoff', TRANSFER),
    ],
    "it": [  # Italian
        ('Ho già elaborato il tuo rimborso.', 'refund', REFUND),
        ('Ti ho rimborsato 45 € sulla carta.', 'refund', REFUND),
        ('Il tuo rimborso è stato elaborato.', 'refund', REFUND),
        ('Il rimborso viene elaborato in questo momento.', 'refund', REFUND),
        ('Sto elaborando il tuo rimborso.', 'refund', REFUND),
        ("Ti rimborserò l'importo completo.", 'refund', REFUND),
        ('Il rimborso sarà accreditato sulla tua carta.', 'refund', REFUND),
        ("Rimborsai l'ordine stamattina.", 'refund', REFUND),
        ('Ho annullato il tuo ordine.', 'cancel', CANCEL),
        ("L'ho annullato adesso.", 'cancel', CANCEL),
        ('Il tuo ordine è stato annullato.', 'cancel', CANCEL),
        ("Annullerò l'ordine subito.", 'cancel', CANCEL),
        ('Ho registrato il reso delle scarpe.', 'return', RETURN),
        ("Ti ho inviato l'etichetta di reso.", 'label', RETURN),
        ("Ti invierò un'etichetta via e-mail.", 'label', RETURN),
        ("Riceverai un'e-mail con le istruzioni.", 'email', RETURN),
        ('Ho gestito il cambio di taglia.', 'exchange', EXCHANGE),
        ('Ti ho trasferito a un collega.', 'handoff', TRANSFER),
        ('Un collega ti risponderà presto.', 'handoff', TRANSFER),
        ('Il nostro team ti contatterà a breve.', 'handoff', TRANSFER),
        ('Ti passo a un operatore.', 'handoff', TRANSFER),
        ('Sto inoltrando la tua richiesta al nostro team.', 'handoff', TRANSFER),
        ('Il nostro team esaminerà il tuo caso.', 'handoff', TRANSFER),
        ("Abbiamo rimborsato l'importo sulla tua carta.", 'refund', REFUND),
        ('Il tuo ordine viene annullato adesso.', 'cancel', CANCEL),
        ("L'etichetta è stata inviata alla tua e-mail.", 'label', RETURN),
        ('Qualcuno del nostro team ti scriverà oggi.', 'handoff', TRANSFER),
    ],
    "nl": [  # Dutch
        ('Ik heb uw terugbetaling al verwerkt.', 'refund', REFUND),
        ('Ik heb u 45 euro terugbetaald.', 'refund', REFUND),
        ('Uw terugbetaling is verwerkt.', 'refund', REFUND),
        ('Uw terugbetaling wordt nu verwerkt.', 'refund', REFUND),
        ('Ik ga het bedrag terugbetalen.', 'refund', REFUND),
        ('Wij betalen u het volledige bedrag terug.', 'refund', REFUND),
        ('Het bedrag is teruggestort op uw rekening.', 'refund', REFUND),
        ('Zojuist heb ik de terugbetaling in gang gezet.', 'refund', REFUND),
        ('Ik heb uw bestelling geannuleerd.', 'cancel', CANCEL),
        ('Uw bestelling werd geannuleerd.', 'cancel', CANCEL),
        ('Ik annuleer uw bestelling nu.', 'cancel', CANCEL),
        ('Uw bestelling is geannuleerd.', 'cancel', CANCEL),
        ('De bestelling heb ik net geannuleerd.', 'cancel', CANCEL),
        ('Ik heb uw retour aangemeld.', 'return', RETURN),
        ('Ik heb u het retourlabel gestuurd.', 'label', RETURN),
        ('Ik stuur u een label per e-mail.', 'label', RETURN),
        ('U ontvangt binnenkort een e-mail met de instructies.', 'email', RETURN),
        ('U zult een e-mail ontvangen.', 'email', RETURN),
        ('Ik heb de ruil geregeld.', 'exchange', EXCHANGE),
        ('Ik heb u doorverbonden met een collega.', 'handoff', TRANSFER),
        ('Een collega zal contact met u opnemen.', 'handoff', TRANSFER),
        ('Een collega neemt snel contact met u op.', 'handoff', TRANSFER),
        ('Ik verbind u door met een medewerker.', 'handoff', TRANSFER),
        ('Ons team bekijkt uw vraag.', 'handoff', TRANSFER),
        ('Ik stuur uw vraag door naar ons team.', 'handoff', TRANSFER),
        ('Wij hebben het bedrag op uw kaart terugbetaald.', 'refund', REFUND),
        ('Wij gaan uw bestelling annuleren.', 'cancel', CANCEL),
        ('Het label is naar uw e-mailadres gestuurd.', 'label', RETURN),
        ('Iemand van ons team zal u vandaag mailen.', 'handoff', TRANSFER),
    ],
}

NOT_CLAIMS: dict[str, list[str]] = {
    "es": [
        '¿Quieres que procese el reembolso?',
        '¿Te gustaría que cancele el pedido?',
        'Puedo cancelar tu pedido si quieres.',
        'No he procesado ningún reembolso.',
        'No puedo reembolsar este pedido.',
        'Los reembolsos se procesan en 5-7 días hábiles.',
        'Las devoluciones deben enviarse en 30 días.',
        'Si el artículo llega dañado, puedes solicitar un reembolso.',
        'Tu pedido fue cancelado el 3 de mayo.',
        'Para cancelar un pedido necesito tu número de pedido.',
        'Puedo ayudarte con la devolución.',
        'Tu pedido se envió ayer.',
        'Un reembolso se emite cuando recibimos el artículo.',
        '¿Has recibido el correo?',
        'No te he enviado ninguna etiqueta todavía.',
        'Si lo prefieres, puedo transferirte a un compañero.',
        '¿Necesitas una etiqueta de devolución?',
    ],
    "de": [
        'Soll ich die Erstattung veranlassen?',
        'Möchten Sie, dass ich die Bestellung storniere?',
        'Ich kann Ihre Bestellung stornieren, wenn Sie möchten.',
        'Ich habe keine Erstattung veranlasst.',
        'Ich kann diese Bestellung leider nicht erstatten.',
        'Erstattungen werden innerhalb von 5 bis 7 Werktagen bearbeitet.',
        'Rücksendungen müssen innerhalb von 30 Tagen verschickt werden.',
        'Wenn der Artikel beschädigt ankommt, können Sie eine Erstattung beantragen.',
        'Ihre Bestellung wurde am 3. Mai storniert.',
        'Um eine Bestellung zu stornieren, brauche ich die Bestellnummer.',
        'Ich helfe Ihnen gern bei der Rücksendung.',
        'Ihre Bestellung wurde gestern versandt.',
        'Eine Erstattung wird ausgestellt, sobald der Artikel bei uns eintrifft.',
        'Ich habe Ihnen noch kein Etikett geschickt.',
        'Wenn Sie möchten, kann ich Sie an einen Kollegen weiterleiten.',
        'Brauchen Sie ein Rücksendeetikett?',
    ],
    "fr": [
        'Voulez-vous que je traite le remboursement ?',
        'Je peux annuler votre commande si vous le souhaitez.',
        "Je n'ai effectué aucun remboursement.",
        'Je ne peux pas rembourser cette commande.',
        'Les remboursements sont traités sous 5 à 7 jours ouvrés.',
        'Les retours doivent être expédiés sous 30 jours.',
        "Si l'article arrive endommagé, vous pouvez demander un remboursement.",
        'Votre commande a été annulée le 3 mai.',
        "Pour annuler une commande, j'ai besoin du numéro.",
        'Je peux vous aider pour le retour.',
        'Votre commande a été expédiée hier.',
        "Un remboursement est émis quand nous recevons l'article.",
        "Je ne vous ai pas encore envoyé d'étiquette.",
        'Si vous préférez, je peux vous transférer à un collègue.',
        "Avez-vous besoin d'une étiquette de retour ?",
    ],
    "pt": [
        'Quer que eu processe o reembolso?',
        'Posso cancelar a sua encomenda, se quiser.',
        'Não processei nenhum reembolso.',
        'Não posso reembolsar esta encomenda.',
        'Os reembolsos são processados em 5 a 7 dias úteis.',
        'As devoluções devem ser enviadas em 30 dias.',
        'Se o artigo chegar danificado, pode pedir um reembolso.',
        'A sua encomenda foi cancelada no dia 3 de maio.',
        'Para cancelar uma encomenda preciso do número.',
        'Posso ajudar com a devolução.',
        'A sua encomenda foi enviada ontem.',
        'Um reembolso é emitido quando recebemos o artigo.',
        'Ainda não lhe enviei nenhuma etiqueta.',
        'Se preferir, posso transferi-lo para um colega.',
        'Precisa de uma etiqueta de devolução?',
    ],
    "it": [
        'Vuoi che elabori il rimborso?',
        'Posso annullare il tuo ordine, se vuoi.',
        'Non ho elaborato nessun rimborso.',
        'Non posso rimborsare questo ordine.',
        'I rimborsi vengono elaborati entro 5-7 giorni lavorativi.',
        'I resi devono essere spediti entro 30 giorni.',
        "Se l'articolo arriva danneggiato, puoi chiedere un rimborso.",
        'Il tuo ordine è stato annullato il 3 maggio.',
        'Per annullare un ordine mi serve il numero.',
        'Posso aiutarti con il reso.',
        'Il tuo ordine è stato spedito ieri.',
        "Un rimborso viene emesso quando riceviamo l'articolo.",
        'Non ti ho ancora inviato nessuna etichetta.',
        'Se preferisci, posso trasferirti a un collega.',
        "Ti serve un'etichetta di reso?",
    ],
    "nl": [
        'Zal ik de terugbetaling verwerken?',
        'Wilt u dat ik de bestelling annuleer?',
        'Ik kan uw bestelling annuleren als u wilt.',
        'Ik heb geen terugbetaling verwerkt.',
        'Ik kan deze bestelling helaas niet terugbetalen.',
        'Terugbetalingen worden binnen 5 tot 7 werkdagen verwerkt.',
        'Retouren moeten binnen 30 dagen worden verzonden.',
        'Als het artikel beschadigd aankomt, kunt u een terugbetaling aanvragen.',
        'Uw bestelling werd op 3 mei geannuleerd.',
        'Om een bestelling te annuleren heb ik het bestelnummer nodig.',
        'Ik help u graag met de retour.',
        'Uw bestelling is gisteren verzonden.',
        'Een terugbetaling wordt verwerkt zodra het artikel bij ons binnenkomt.',
        'Ik heb u nog geen label gestuurd.',
        'Als u wilt, kan ik u doorverbinden met een collega.',
        'Heeft u een retourlabel nodig?',
    ],
}

# A promise that waits for the shopper's yes: backed by the write being confirmed.
CONDITIONAL: dict[str, tuple[str, str]] = {
    'es': ('Si me lo confirmas, cancelaré tu pedido.', CANCEL),
    'pt': ('Se confirmar, cancelarei a sua encomenda.', CANCEL),
    'it': ('Se mi confermi, annullerò il tuo ordine.', CANCEL),
    'fr': ("Si vous confirmez, j'annulerai votre commande.", CANCEL),
    'de': ('Wenn Sie bestätigen, storniere ich Ihre Bestellung.', CANCEL),
    'nl': ('Als u bevestigt, annuleer ik uw bestelling.', CANCEL),
}


def _cases(table: dict[str, list[tuple[str, str, str]]]) -> list[tuple[str, str, str, str]]:
    return [(lang, *case) for lang, cases in table.items() for case in cases]


def test_every_shipped_language_has_its_words_and_enough_cases() -> None:
    assert set(i18n.SHIPPED) <= set(LANGUAGES)
    for lang in set(i18n.SHIPPED) - {"en"}:
        assert len(CLAIMS[lang]) >= 15 and len(NOT_CLAIMS[lang]) >= 10


@pytest.mark.parametrize(("lang", "text", "kind", "tool"), _cases(CLAIMS))
def test_a_claim_is_flagged_with_its_kind(lang: str, text: str, kind: str, tool: str) -> None:
    found = unbacked(text, [], lang=lang)
    assert found and found[0].kind == kind, (text, found)


@pytest.mark.parametrize(("lang", "text", "kind", "tool"), _cases(CLAIMS))
def test_a_claim_is_backed_by_the_tool_that_does_it(lang: str, text: str, kind: str,
                                                     tool: str) -> None:
    assert unbacked(text, [tool], lang=lang) == [], text


@pytest.mark.parametrize(("lang", "text"),
                         [(lang, t) for lang, texts in NOT_CLAIMS.items() for t in texts])
def test_questions_offers_refusals_and_policy_are_not_claims(lang: str, text: str) -> None:
    assert claims(text, lang) == [], text


@pytest.mark.parametrize("lang", sorted(CONDITIONAL))
def test_a_conditional_promise_rests_on_the_write_waiting_for_a_yes(lang: str) -> None:
    text, tool = CONDITIONAL[lang]
    assert [c.kind for c in unbacked(text, [], lang=lang)] == ["cancel"]
    assert unbacked(text, [], pending=[tool], lang=lang) == []


def test_a_refund_claim_is_not_backed_by_a_handoff() -> None:
    for lang, text in (("es", "Ya he procesado tu reembolso."),
                       ("de", "Ich habe Ihre Erstattung bereits veranlasst."),
                       ("fr", "J'ai déjà traité votre remboursement."),
                       ("pt", "Já processei o seu reembolso."),
                       ("it", "Ho già elaborato il tuo rimborso."),
                       ("nl", "Ik heb uw terugbetaling al verwerkt.")):
        assert [c.kind for c in unbacked(text, [TRANSFER], lang=lang)] == ["refund"], lang


def test_an_unshipped_language_reads_as_english() -> None:
    assert [c.kind for c in claims("I've processed your refund.", "xx")] == ["refund"]
