"""Words that decide what a message is: asking or doing, one of the shopper's orders or any,
a request, an escape, a question of its own. Rules over the classifier's reading, kept in one
place so they can be read (and tested) together; each is a table per language, read in the
turn's language (`i18n.current()`), with the English words too."""

from __future__ import annotations

from omnichannel.agent.understanding import Prediction
from omnichannel.agent.understanding.wording import Wording

QUESTION = Wording({
    "en": r"\?\s*$|^\W*(also |and |oh and |btw )?(how|what|when|where|which|why|"
          r"do|does|did|can|could|is|are|will|would)\b",
    "es": r"[?¿]|^\W*(y |tambi[ée]n |adem[áa]s )?(c[óo]mo|qu[ée]|cu[áa]ndo|d[óo]nde|cu[áa]l(es)?|"
          r"por qu[ée]|puedo|podr[íi]a|pueden|hay|es|est[áa]|tienen|hacen)\b",
    "de": r"\?\s*$|^\W*(und |auch |noch )?(wie|was|wann|wo|welche\w*|warum|wieso|kann|"
          r"k[öo]nnen|k[öo]nnte|ist|sind|gibt|habt|haben|muss|darf|wird)\b",
    "fr": r"\?\s*$|^\W*(et |aussi )?(comment|que|qu'|quoi|quand|o[ùu]|quel\w*|pourquoi|est-ce|"
          r"puis-je|pouvez|peut|peux|avez|y a-t-il|c'est)\b",
    "pt": r"\?\s*$|^\W*(e |tamb[ée]m )?(como|o que|quando|onde|qual|quais|porqu[eê]|por que|"
          r"posso|pode|podem|h[áa]|[ée]|est[áa]|t[êe]m|fazem)\b",
    "it": r"\?\s*$|^\W*(e |anche )?(come|cosa|che cosa|quando|dove|quale|quali|perch[ée]|"
          r"posso|pu[òo]|potete|c'[èe]|[èe]|avete|fate)\b",
    "nl": r"\?\s*$|^\W*(en |ook )?(hoe|wat|wanneer|waar|welke|waarom|kan|kunnen|kun|is|zijn|"
          r"hebben|heb|moet|mag|wordt)\b",
}, english_too=True)
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
PERSONAL = Wording({
    "en": r"\b(my|our) (last |recent |latest |new |current |first |second |other )?(order|package|"
          r"parcel|purchase|delivery|shipment|item|items|stuff|things|return|refund|exchange|"
          r"booking)s?\b|\bthe (last|recent|latest|current|other|first|second|pending|shipped|"
          r"delivered|new) (order|package|"
          r"parcel|purchase|delivery|shipment|one)\b|\border (number|no\.?|id)\b|#\s?\w*\d|"
          r"\b[A-Z]{1,3}\d{4,}\b|\bi (just |recently |already )?(ordered|bought|purchased|"
          r"received|got|returned|sent)\b|\b(it|them)\b|\bthe [a-z]+ order\b|"
          r"\bthe order (i|we) (placed|made|sent)\b",
    "es": r"\b(mis?|nuestr[oa]s?) ([úu]ltim[oa] |reciente |nuev[oa] |otr[oa] |primer |segund[oa] )?"
          r"(pedido|paquete|compra|entrega|env[íi]o|art[íi]culo|producto|cosas|devoluci[óo]n|"
          r"reembolso|cambio|orden)(e?s)?\b|\bel (pedido|paquete) (que|de ayer)|\bn[úu]mero de "
          r"pedido\b|#\s?\w*\d|\b[A-Z]{1,3}\d{4,}\b|\b(he|hemos|ya) (pedido|comprado|recibido|"
          r"devuelto|enviado)\b|\b(ped[íi]|compr[ée]|recib[íi]|devolv[íi])\b|\b(lo|la|los|las) "
          r"(quiero|puedo|podr[íi]a)\b|\b(devolverlo|devolverla|devolverlos|cancelarlo|cancelarla)\b",
    "de": r"\b(meine?[nrms]?|unsere?[nrms]?) (letzte[nr]? |neue[nr]? |andere[nr]? |erste[nr]? )?"
          r"(bestellung|paket|kauf|lieferung|sendung|artikel|sachen|r[üu]cksendung|"
          r"erstattung|umtausch)(en|e|s)?\b|\bbestell(nummer|nr)\b|#\s?\w*\d|\b[A-Z]{1,3}\d{4,}\b|"
          r"\bich habe (gerade |k[üu]rzlich |schon )?\w* ?(bestellt|gekauft|erhalten|bekommen|"
          r"zur[üu]ckgeschickt)\b|\b(es|sie|ihn)\b",
    "fr": r"\b(m(on|a|es)|notre|nos) (derni[èe]re? |nouvel(le)? |autre |premi[èe]re? )?"
          r"(commande|colis|achat|livraison|envoi|article|produit|affaires|retour|"
          r"remboursement|[ée]change)s?\b|\bnum[ée]ro de commande\b|#\s?\w*\d|\b[A-Z]{1,3}\d{4,}\b|"
          r"\bj'ai (d[ée]j[àa] |r[ée]cemment )?(command[ée]|achet[ée]|re[çc]u|renvoy[ée])\b|"
          r"\b(le|la|les) (retourner|annuler|renvoyer)\b",
    "pt": r"\b(o |a |os |as )?(meus?|minhas?|nossos?|nossas?) ([úu]ltim[oa] |nov[oa] |outr[oa] )?"
          r"(encomenda|pedido|pacote|compra|entrega|envio|artigo|produto|coisas|devolu[çc][ãa]o|"
          r"reembolso|troca)s?\b|\bn[úu]mero d[ao] (encomenda|pedido)\b|#\s?\w*\d|"
          r"\b[A-Z]{1,3}\d{4,}\b|\b(encomendei|comprei|recebi|devolvi|pedi)\b|"
          r"\b(devolv[êe]-l[oa]s?|cancel[áa]-l[oa]s?)\b",
    "it": r"\b(il |la |i |le )?(mio|mia|miei|mie|nostro|nostra|nostri|nostre) "
          r"(ultim[oa] |nuov[oa] |altr[oa] )?(ordine|ordini|pacco|pacchi|acquisto|consegna|"
          r"spedizione|articolo|"
          r"prodotto|cose|reso|rimborso|cambio)\b|\bnumero (d'|di )ordine\b|#\s?\w*\d|"
          r"\b[A-Z]{1,3}\d{4,}\b|\bho (appena |gi[àa] )?(ordinato|comprato|ricevuto|restituito|"
          r"acquistato)\b|\b(restituirlo|restituirla|restituirli|annullarlo|annullarla)\b",
    "nl": r"\b(mijn|onze?) (laatste |nieuwe |andere |eerste )?(bestelling|pakket|pakketje|aankoop|"
          r"levering|zending|artikel|product|spullen|retour|retourzending|terugbetaling|"
          r"ruil)(en|s)?\b|\bbestel(nummer|nr)\b|#\s?\w*\d|\b[A-Z]{1,3}\d{4,}\b|"
          r"\bik heb (net |onlangs |al )?\w* ?(besteld|gekocht|ontvangen|teruggestuurd)\b|"
          r"\b(het|hem|ze) (terugsturen|retourneren|annuleren)\b",
}, english_too=True)
START = "start:"
ARE_YOU_A_BOT = Wording({
    "en": r"^\W*(are|r) (you|u) (a |an )?(bot|robot|real|human|ai|person|"
          r"machine|computer)\W*$",
    "es": r"^\W*(eres|sos|es esto|hablo con) (un |una )?(bot|robot|humano|persona|m[áa]quina|ia|"
          r"real|programa)\W*$",
    "de": r"^\W*(bist du|sind sie|ist das) (ein |eine )?(bot|roboter|mensch|echt|ki|person|"
          r"maschine|computer|programm)\W*$",
    "fr": r"^\W*(tu es|vous [êe]tes|es-tu|[êe]tes-vous|c'est) (un |une )?(bot|robot|humain|"
          r"vrai|r[ée]el|ia|personne|machine|programme)\W*$",
    "pt": r"^\W*([ée]s|voc[êe] [ée]|isto [ée]|estou a falar com) (um |uma )?(bot|rob[ôo]|humano|"
          r"pessoa|real|ia|m[áa]quina|programa)\W*$",
    "it": r"^\W*(sei|lei [èe]|[èe]) (un |una )?(bot|robot|umano|persona|vero|reale|ia|macchina|"
          r"programma)\W*$",
    "nl": r"^\W*(ben je|bent u|is dit) (een )?(bot|robot|mens|echt|ai|persoon|machine|computer|"
          r"programma)\W*$",
}, english_too=True)
ESCAPE = Wording({
    "en": r"^\s*(never ?mind|nvm|forget (it|that|about it)|start (over|again)|"
          r"cancel (that|this)|stop|scratch that|leave it|skip( it)?|"
          r"something else|different question)\b",
    "es": r"^\s*(ol?v[íi]dalo|d[ée]jalo|empezar de nuevo|volver a empezar|desde el principio|"
          r"cancela (eso|esto)|para|otra cosa|otra pregunta|da igual)\b",
    "de": r"^\s*(vergiss es|vergessen sie es|lass es|von vorne|neu anfangen|abbrechen|stopp?|"
          r"etwas anderes|andere frage|egal)\b",
    "fr": r"^\s*(laisse tomber|oublie(z)?( [çc]a)?|on recommence|recommencer|annule (ça|cela)|"
          r"stop|autre chose|une autre question|peu importe)\b",
    "pt": r"^\s*(esquece|deixa|come[çc]ar de novo|recome[çc]ar|cancela isso|p[áa]ra|outra coisa|"
          r"outra pergunta|tanto faz)\b",
    "it": r"^\s*(lascia stare|lascia perdere|lascia|ricominciamo|ricominciare|da capo|annulla|"
          r"stop|basta|un'altra cosa|altra domanda|non importa)\b",
    "nl": r"^\s*(laat maar|vergeet (het|dat)|opnieuw beginnen|begin opnieuw|stop|iets anders|"
          r"andere vraag|maakt niet uit)\b",
}, english_too=True)
# "can I cancel the pending one?": asked about one of the shopper's orders, it is a request.
CAN_I_DO = Wording({
    "en": r"\b(can|could|may) (i|we|you) (please |still |just )?(cancel|return|"
          r"send back|refund)\b",
    "es": r"\b(puedo|podemos|puede|podr[íi]a|podr[íi]as|pueden) (todav[íi]a |a[úu]n |por favor )?"
          r"(cancelar|devolver|anular|reembolsar)\w*",
    "de": r"\b(kann|k[öo]nnen|k[öo]nnte|darf) (ich|wir|sie|man) (bitte |noch |einfach )?(\w+ ){0,3}"
          r"(stornieren|zur[üu]ckgeben|zur[üu]ckschicken|zur[üu]cksenden|erstatten|"
          r"r[üu]ckg[äa]ngig)",
    "fr": r"\b(puis-je|est-ce que je peux|je peux|pouvez-vous|peut-on|on peut|pourriez-vous) "
          r"(encore |s'il vous pla[îi]t )?(l'|la |le |les )?(annuler|retourner|renvoyer|"
          r"rembourser)",
    "pt": r"\b(posso|podemos|pode|podem|podia|poderia) (ainda |por favor )?(cancelar|devolver|"
          r"reembolsar|anular)",
    "it": r"\b(posso|possiamo|pu[òo]|potete|potrei|potrebbe) (ancora |per favore )?(annullare|"
          r"restituire|rimborsare|rendere|cancellare)",
    "nl": r"\b(kan|kunnen|kun|mag) (ik|we|jullie|u|je) (nog |alsjeblieft |gewoon )?(\w+ ){0,3}"
          r"(annuleren|terugsturen|retourneren|terugbetalen)",
}, english_too=True)
POLICY_TWIN = {"cancellation_policy": "cancel_order", "return_policy": "return_items"}
TWIN_POLICY = {task: policy for policy, task in POLICY_TWIN.items()}
FEE = Wording({
    "en": r"\b(is there|are there|do you charge|will i be charged|what does it cost|how "
          r"much does it cost) (a |an |any )?(fee|charge|cost|penalt\w*)|\b(fee|penalty|"
          r"charge) (for|to|if) (cancel|return)\w*",
    "es": r"\b(hay|cobran|cobr[áa]is|tiene|tienen|se paga) (alg[úu]n |alguna |un |una )?(cargo|"
          r"coste|costo|comisi[óo]n|tarifa|penalizaci[óo]n|gastos)|\b(cargo|coste|costo|"
          r"comisi[óo]n|penalizaci[óo]n|gastos) (por|para|si|de) (cancel|devol|anul)\w*|"
          r"cu[áa]nto cuesta (cancelar|devolver)",
    "de": r"\b(gibt es|kostet|berechnen sie|fallen) (eine |irgendwelche )?(geb[üu]hr|geb[üu]hren|"
          r"kosten|strafe)|\b(geb[üu]hr|geb[üu]hren|kosten) (f[üu]r|bei) (die |eine )?"
          r"(stornierung|r[üu]cksendung|r[üu]ckgabe|stornieren)|kostet (das )?(stornieren|"
          r"zur[üu]ckschicken|die r[üu]cksendung)",
    "fr": r"\b(y a-t-il|est-ce qu'il y a|il y a|facturez-vous) (des |un |une |de )?"
          r"(frais|p[ée]nalit[ée]s?|co[ûu]t)|\bfrais (d'|de |pour )(annulation|retour|annuler|"
          r"retourner)|"
          r"combien co[ûu]te (un |le )?(annulation|retour)",
    "pt": r"\b(h[áa]|cobram|tem|existe) (alguma |algum |uma |um )?(taxa|custo|penaliza[çc][ãa]o|"
          r"comiss[ãa]o)|\b(taxa|custo|penaliza[çc][ãa]o) (de|para|por|se) (cancel|devol)\w*|"
          r"quanto custa (cancelar|devolver)",
    "it": r"\b(c'[èe]|ci sono|si paga|fate pagare) (una |un |delle |dei )?(penale|costo|costi|"
          r"commissione|spese)|\b(penale|costo|costi|spese) (di|per) (annull|cancell|res[oi]|"
          r"restitu)\w*|quanto costa (annullare|restituire|il reso)",
    "nl": r"\b(zijn er|is er|rekenen jullie) (kosten|een boete|extra kosten)|\b(kosten|boete) "
          r"(voor|bij) (het )?(annuleren|retourneren|terugsturen|annulering|retour)|"
          r"wat kost (annuleren|retourneren|een retour)",
}, english_too=True)
REQUEST = Wording({
    "en": r"\b(i|we) (need|want|would like|'d like|wanna|have) to|\bi'?d like to|"
          r"^\W*(please|pls|kindly)\b|\b(can|could|would) you (please )?(cancel|return|"
          r"refund|process|start)|\bhelp me (to )?(cancel|return)",
    "es": r"\b(quiero|quisiera|necesito|me gustar[íi]a|deseo|queremos|necesitamos) \w+(ar|er|ir)\b|"
          r"^\W*(por favor|porfa)\b|\b(puede|podr[íi]a|pueden|podr[íi]an|puedes) (por favor )?"
          r"(cancelar|devolver|reembolsar|tramitar|iniciar|anular)|\bay[úu]dame a (cancelar|"
          r"devolver)",
    "de": r"\bich (will|m[öo]chte|muss|w[üu]rde gerne?|h[äa]tte gerne?)\b|"
          r"\bwir (wollen|m[öo]chten)\b|^\W*bitte\b|\b(k[öo]nnen|k[öo]nntet|k[öo]nnten) sie "
          r"(bitte )?\w* ?(stornieren|"
          r"erstatten|zur[üu]cknehmen|bearbeiten)|\bhelfen sie mir",
    "fr": r"\b(je veux|je voudrais|j'aimerais|je souhaite|je dois|nous voulons|on voudrait)\b|"
          r"^\W*(s'il vous pla[îi]t|svp)\b|\b(pouvez|pourriez)-vous (s'il vous pla[îi]t )?"
          r"(l'|la |le |les )?(annuler|rembourser|retourner|traiter|lancer)|aidez-moi [àa]",
    "pt": r"\b(quero|queria|gostaria de|preciso de|preciso|desejo|queremos)\b|^\W*(por favor)\b|"
          r"\b(pode|podem|podia|poderia|podiam) (por favor )?(cancelar|devolver|reembolsar|"
          r"tratar|iniciar)|\bajud[ae]-me a",
    "it": r"\b(voglio|vorrei|devo|ho bisogno di|desidero|vogliamo|vorremmo)\b|^\W*(per favore|"
          r"per piacere)\b|\b(pu[òo]|potete|potrebbe|potreste) (per favore )?(annullare|"
          r"rimborsare|restituire|gestire|avviare)|\baiutami a",
    "nl": r"\bik (wil|zou graag|moet|wil graag)\b|\bwe (willen|zouden graag)\b|^\W*(graag|"
          r"alsjeblieft|alstublieft)\b|\b(kunnen|kun|kan) (jullie|u|je) (alsjeblieft )?\w* ?"
          r"(annuleren|terugbetalen|retourneren|verwerken)|\bhelp me",
}, english_too=True)
EDIT_ORDER = Wording({
    "en": r"\b(chang\w*|add\w*|remov\w*|modif\w*|edit\w*|updat\w*|swap\w*|"
          r"delet\w*)\b[^.?!]{0,40}\b(an|my|the|this|our) (last |recent )?order\b",
    "es": r"\b(cambi|a[ñn]ad|agreg|quit|modific|edit|actualiz|elimin|borr|sac)\w*\b[^.?!]{0,40}"
          r"\b(un|mi|el|este|nuestro) ([úu]ltimo |reciente )?(pedido|orden)\b",
    "de": r"\b([äa]nder|hinzuf[üu]g|entfern|bearbeit|aktualisier|tausch|l[öo]sch|erg[äa]nz)\w*\b"
          r"[^.?!]{0,40}\b(eine|meine|die|diese|unsere) (letzte )?bestellung\b|\b(meine|die) "
          r"bestellung [^.?!]{0,40}(\w*[äa]ndern|erg[äa]nzen|bearbeiten)",
    "fr": r"\b(chang|ajout|retir|supprim|modifi|[ée]dit|mett\w* [àa] jour|enlev)\w*\b[^.?!]{0,40}"
          r"\b(une|ma|la|cette|notre) (derni[èe]re )?commande\b",
    "pt": r"\b(mud|alter|adicion|acrescent|remov|tir|modific|edit|atualiz|apag)\w*\b[^.?!]{0,40}"
          r"\b(uma|a minha|minha|a|esta|nossa) ([úu]ltima )?(encomenda|pedido)\b",
    "it": r"\b(cambi|aggiung|rimuov|togli|modific|aggiorn|elimin|cancell)\w*\b[^.?!]{0,40}"
          r"\b(un|il mio|mio|l'|questo|nostro) ?(ultimo )?ordine\b",
    "nl": r"\b(wijzig|verander|toevoeg|voeg|verwijder|bewerk|aanpas|pas)\w*\b[^.?!]{0,40}"
          r"\b(een|mijn|de|deze|onze) (laatste )?bestelling\b",
}, english_too=True)
NOT_WORKING = Wording({
    "en": r"\b(not|isn'?t|doesn'?t|won'?t|didn'?t|wont|cant|can'?t) "
          r"(work|working|apply|applying|accepted|valid)|invalid|error",
    "es": r"\bno (funciona|sirve|se aplica|me deja|es v[áa]lido|vale|acepta)|inv[áa]lido|error|"
          r"caducado",
    "de": r"\b(funktioniert|geht|klappt|gilt) (nicht|nie)|ung[üu]ltig|fehler|abgelaufen|"
          r"nicht akzeptiert",
    "fr": r"\b(ne )?(marche|fonctionne|passe|s'applique) pas|invalide|erreur|expir[ée]|"
          r"n'est pas (valide|accept[ée])",
    "pt": r"\bn[ãa]o (funciona|d[áa]|aplica|[ée] v[áa]lido|aceita)|inv[áa]lido|erro|expirado",
    "it": r"\bnon (funziona|va|si applica|[èe] valido|accetta)|non valido|errore|scadut[oa]",
    "nl": r"\b(werkt|doet het|geldt) (niet|nooit)|ongeldig|fout(melding)?|verlopen|"
          r"niet geaccepteerd",
}, english_too=True)
TAKE_OFFER = Wording({
    "en": r"\b(start (one|it|a return|the return|that)|let'?s (do|start)|go ahead|"
          r"yes,? please|please do|do it|sure)\b",
    "es": r"\b(emp(ie|e)za(r|lo)?|inici(a|ar|arla|arlo)|vamos|adelante|s[íi],? por favor|hazlo|"
          r"claro|dale|s[íi] quiero)\b",
    "de": r"\b(starten|anfangen|los geht'?s|leg los|mach (das|es|weiter)|ja,? bitte|gerne?|"
          r"klar)\b",
    "fr": r"\b(commencer|lancer|lance-le|allons-y|vas-y|allez-y|oui,? s'il vous pla[îi]t|"
          r"fais-le|faites-le|volontiers)\b",
    "pt": r"\b(come[çc]ar|iniciar|vamos|avan[çc]a|sim,? por favor|faz isso|fa[çc]a isso|claro|"
          r"pode ser)\b",
    "it": r"\b(iniziare|inizia|avvia|avviare|cominciamo|procedi|vai|s[iì],? per favore|fallo|"
          r"certo|volentieri)\b",
    "nl": r"\b(starten|beginnen|begin maar|doe maar|ga je gang|ja,? graag|graag|prima)\b",
}, english_too=True)
HOW_TO = Wording({
    "en": r"\b(how (do|can|could|would|should|does) (i|we|you|one|it)|how to|"
          r"what'?s the (process|procedure|policy)|policy|can i|could i|is it "
          r"possible|do you (allow|accept|let)|information (about|on)|info (about|on)|"
          r"i don'?t know how|where (can|do) i|is there a way|what do i (have|need) "
          r"to do)\b",
    "es": r"\b(c[óo]mo|cu[áa]l es (el proceso|el procedimiento|la pol[íi]tica)|pol[íi]tica|"
          r"puedo|se puede|es posible|informaci[óo]n (sobre|de)|no s[ée] c[óo]mo|d[óo]nde "
          r"(puedo|se)|hay (alguna )?(manera|forma)|qu[ée] tengo que hacer|qu[ée] pasos)\b",
    "de": r"\b(wie (kann|k[öo]nnen|mache|funktioniert|geht|gebe|schicke|storniere|tausche)|"
          r"wie\b|richtlinie|bedingungen|kann ich|k[öo]nnte ich|ist es m[öo]glich|geht es|"
          r"informationen (zu|[üu]ber)|wo kann ich|gibt es eine m[öo]glichkeit|was muss ich tun)",
    "fr": r"(\bcomment\b|\bquelle est la (proc[ée]dure|politique)|\bpolitique\b|\bconditions\b|"
          r"\bpuis-je\b|\bje peux\b|\best-il possible\b|\best-ce possible\b|\binformations? sur\b|"
          r"\bo[ùu] (puis-je|est-ce que)|\by a-t-il un moyen\b|\bque dois-je faire\b)",
    "pt": r"\b(como|qual [ée] (o processo|a pol[íi]tica)|pol[íi]tica|posso|[ée] poss[íi]vel|"
          r"d[áa] para|informa[çc][ãa]o sobre|informa[çc][õo]es sobre|onde (posso|se)|"
          r"o que tenho de fazer|o que preciso fazer)\b",
    "it": r"\b(come|qual [èe] (la procedura|la politica)|politica|condizioni|posso|si pu[òo]|"
          r"[èe] possibile|informazioni (su|sul|sulla|sui)|dove (posso|si)|c'[èe] un modo|"
          r"cosa devo fare)\b",
    "nl": r"\b(hoe|wat is (het beleid|de procedure)|beleid|voorwaarden|kan ik|kun je|is het "
          r"mogelijk|informatie over|waar kan ik|is er een manier|wat moet ik doen)\b",
}, english_too=True)


def family(p: Prediction) -> float:
    """The top intent's confidence with that of its close relatives added."""
    for family in FAMILIES:
        if p.intent in family:
            return round(sum(p.score(i) for i in family), 4)
    return p.confidence
