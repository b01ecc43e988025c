import type { Category } from './schema.js';

/**
 * The built-in classifier's evidence, as data: each pattern names its category, weight and id (the id is
 * stored as a signal, never the matched text). Patterns run on NORMALISED text (classifier.ts: NFKD,
 * diacritics removed, lower case, whitespace collapsed), so "Rückerstattung" is matched as "ruckerstattung".
 *
 * Weights: 3 = strong on its own, 2 = clear but common, 1 = weak (only tips a balance).
 * `dispute` marks billing evidence of a contested or unauthorised charge: a billing dispute is urgent,
 * a billing question is not.
 */
export interface Pattern {
  id: string;
  category: Category;
  weight: 1 | 2 | 3;
  re: RegExp;
  dispute?: true;
}

const p = (category: Category, weight: 1 | 2 | 3, id: string, re: RegExp, dispute?: true): Pattern => ({ category, weight, id, re, ...(dispute ? { dispute } : {}) });

export const PATTERNS: readonly Pattern[] = [
  // refund
  p('refund', 3, 'refund', /\brefund(s|ed|ing)?\b/),
  p('refund', 3, 'money_back', /\b(my |the )?money back\b/),
  p('refund', 3, 'refund_i18n', /\b(reembolso|reembolsar|devolucion|devuelvan|remboursement|rembourser|remboursez|ruckerstattung|erstattung|geld zuruck|rimborso)\b/),
  p('refund', 2, 'return_payment', /\b(return|reverse|give back) (the |my )?(payment|charge|money)\b/),

  // billing (and disputes, which are urgent)
  p('billing', 2, 'invoice', /\b(invoice|invoices|receipt|receipts|billing|billed|bill|vat|tax id)\b/),
  p('billing', 1, 'payment_words', /\b(charge|charged|charges|payment|payments|paid|card|credit card|price|pricing|subscription fee|plan|upgrade|downgrade)\b/),
  p('billing', 2, 'billing_i18n', /\b(factura|facture|rechnung|cobro|cobraron|abbuchung|prelevement|paiement|pago|zahlung)\b/),
  p('billing', 3, 'charged_twice', /\b(charged|billed|debited) (me )?(twice|two times|double|2x|again|three times)\b/, true),
  p('billing', 3, 'double_charge', /\b(double|duplicate|duplicated)[- ]?(charge|charges|charged|billing|billed|payment)\b/, true),
  p('billing', 3, 'charge_not_authorised', /\b(charge|payment|transaction)\b.{0,40}\b(never|didn'?t|did not) (authori[sz]ed?|approved?|made|make)\b/, true),
  p('billing', 2, 'plan_change', /\b(switch|change|move|upgrade|downgrade)\b.{0,20}\b(plan|tier|billing cycle)\b/),
  p('billing', 2, 'pricing_question', /\b(discount|coupon|promo code|nonprofit pricing|student pricing)s?\b/),
  p('billing', 3, 'payment_failed', /\b(payment|card|charge)s? (was |got |keeps? |is )?(failed|failing|declined|rejected|bounced)\b|\bcard (was |got |keeps getting )?declined\b/),
  p('billing', 3, 'chargeback', /\b(chargeback|charge back|dispute|disputing|disputed)\b/, true),
  p('billing', 3, 'unauthorised_charge', /\b(unauthori[sz]ed|never authori[sz]ed|did ?n[o']?t authori[sz]e|fraudulent) (charge|payment|transaction|debit)s?\b/, true),
  p('billing', 3, 'overcharged', /\bover ?charg(ed|ing|e)\b/, true),
  p('billing', 2, 'wrong_amount', /\bwrong (amount|charge|price|invoice)\b/, true),
  p('billing', 3, 'charged_after_cancel', /\b(charged|billed)\b.{0,40}\b(after|even though|although)\b.{0,20}\bcancel/, true),
  p('billing', 3, 'dispute_i18n', /\b(cobro|cargo) (doble|duplicado|no autorizado)\b|\bdoppelt (abgebucht|belastet)\b/, true),

  // cancellation
  p('cancellation', 3, 'cancel', /\bcancel(s|l?ed|l?ing|lation)?\b/),
  p('cancellation', 3, 'close_account', /\b(delete|close|terminate|remove) (my |our |the )?(account|subscription|workspace)\b/),
  p('cancellation', 3, 'unsubscribe', /\b(unsubscribe|end (my|the) subscription|stop (my|the) subscription|stop paying)\b/),
  p('cancellation', 2, 'not_renew', /\b(not|never|won'?t) (be )?renew(ing)?\b|\bdon'?t want (it|this|to pay) anymore\b/),
  p('cancellation', 3, 'cancel_i18n', /\b(cancelar|cancelacion|darme de baja|dar de baja|resilier|resiliation|annuler|kundigen|kundigung|disdetta)\b/),

  // bug
  p('bug', 3, 'bug', /\b(bug|bugs|buggy|glitch|glitches)\b/),
  p('bug', 2, 'crash', /\b(crash|crashes|crashed|crashing|freezes|frozen|hangs)\b/),
  p('bug', 2, 'error', /\b(error|errors|exception|stack ?trace|traceback)\b/),
  p('bug', 2, 'not_working', /\b(not working|doesn'?t work|does not work|isn'?t working|stopped working|won'?t (load|work|save|open|sync)|broke|broken)\b/),
  p('bug', 2, 'http_error', /\b(returns?|returning|throws?|throwing|getting|got|gives?) (an? )?(http )?(400|404|409|422|500)\b/),
  p('bug', 1, 'fails', /\b(fail|fails|failing|failed to)\b/),
  p('bug', 2, 'cannot_do', /\b(can'?t|cannot|unable to|won'?t let me) (export|import|upload|save|sync|edit|delete|create|open)\b/),
  p('bug', 2, 'bug_i18n', /\b(fehler|funktioniert nicht|no funciona|ne fonctionne pas|ne marche pas|non funziona)\b/),

  // outage
  p('outage', 3, 'outage', /\b(outage|downtime)\b/),
  p('outage', 3, 'is_down', /\b(is|are|went|goes|been|seems|looks|still) (completely |totally |all |entirely )?down\b|\bdown for (everyone|everybody|all|us|hours)\b/),
  p('outage', 3, 'gateway_errors', /\b(502|503|504|bad gateway|service unavailable|gateway timeout)\b/),
  p('outage', 2, 'nothing_loads', /\b(nothing|none of it) (works|is working|loads|is loading)\b|\bcan'?t (reach|access|connect to|load) (the |your )?(site|app|service|dashboard|api|website|servers?)\b/),
  p('outage', 2, 'everyone_affected', /\b(all|every|none of) (of )?(our |my |the )?(users|customers|team|employees)\b.{0,40}\b(can'?t|cannot|unable|down|affected)\b/),
  p('outage', 3, 'outage_i18n', /\b(caido|caida|panne|ausfall|funktioniert gar nicht|esta caido|plus rien ne marche)\b/),

  // security
  p('security', 3, 'compromise', /\b(hacked|hacker|hackers|hacking|breach|breached|compromised|phishing|malware|ransomware|keylogger)\b/),
  p('security', 3, 'vulnerability', /\b(vulnerability|vulnerable|exploit|exploited|xss|csrf|sql injection|rce|security hole|security issue|security flaw)\b/),
  p('security', 3, 'data_leak', /\b(data leak|leaked|leaking|exposed (my |our |customer )?data|someone else'?s data)\b/),
  p('security', 3, 'account_takeover', /\b(someone|somebody|a stranger|an attacker)\b.{0,30}\b(logged|got|broke|accessed|access|is in|changed)\b.{0,20}\b(into|my|in|account|password|email)\b|\bunauthori[sz]ed (access|login|logins|sign ?in)\b|\bsuspicious (login|logins|activity|sign ?in)\b/),
  p('security', 2, 'fraud', /\b(fraud|scam|stolen|identity theft)\b/),
  p('security', 3, 'card_misuse', /\b(someone|somebody|a stranger)\b.{0,30}\b(used|charged|took)\b.{0,20}\b(my )?(credit |debit )?card\b/),
  p('security', 3, 'security_i18n', /\b(hackeado|hackeada|hackeo|pirate|piratage|gehackt|sicherheitslucke)\b/),

  // legal
  p('legal', 3, 'lawyer', /\b(lawyer|lawyers|attorney|solicitor|legal action|lawsuit|sue|suing|court|subpoena|class action|small claims|cease and desist)\b/),
  p('legal', 3, 'privacy_law', /\b(gdpr|ccpa|dsgvo|rgpd|lgpd|data protection (authority|officer|law)|dpa|dsar|data subject (access )?request|right to (be forgotten|erasure))\b/),
  p('legal', 2, 'regulator', /\b(regulator|ftc|ombudsman|consumer protection|trading standards|copyright|dmca|trademark|infring(e|es|ing|ement))\b/),
  p('legal', 2, 'erase_data', /\b(delete|erase|remove) (all )?(of )?(my|our) (personal )?(data|information)\b/),
  p('legal', 3, 'legal_i18n', /\b(abogado|demanda|denuncia|avocat|poursuites|anwalt|klage|rechtsanwalt|avvocato)\b/),

  // account
  p('account', 2, 'login', /\b(log ?in|sign ?in|locked out|can'?t (log|sign) ?in|login link|magic link)\b/),
  p('account', 2, 'password', /\b(password|reset link|2fa|two[- ]factor|mfa|authenticator|verification (code|email))\b/),
  p('account', 2, 'profile', /\b(change|update|edit) (my |the )?(email|e-mail|username|name|profile|avatar|address)\b/),
  p('account', 2, 'team', /\b(invite|add|remove) (a |my )?(teammate|team member|colleague|user|seat)s?\b|\b(sso|saml)\b/),
  p('account', 1, 'workspace', /\b(workspace|seats?|permissions?|roles?)\b/),
  p('account', 1, 'account', /\b(account|accounts|profile|settings)\b/),
  p('account', 2, 'account_i18n', /\b(cuenta|contrasena|compte|mot de passe|konto|passwort|anmelden)\b/),

  // general: small talk and greetings are evidence FOR general, so "thanks!" is not an unknown
  p('general', 2, 'thanks', /\b(thanks|thank you|thank u|thx|ty|cheers|appreciate it|much appreciated|gracias|merci|danke|obrigad[oa]|grazie)\b/),
  p('general', 1, 'greeting', /\b(hi|hello|hey|hola|bonjour|hallo|ciao|good (morning|afternoon|evening)|bye|goodbye|see you)\b/),
  p('general', 1, 'chit_chat', /\b(ok|okay|cool|nice|great|awesome|lol|haha|how are you|who are you|are you a (bot|robot|human)|love (it|this|you))\b/),
  p('general', 1, 'friendly_emoji', /(\u{1F44D}|\u{1F64F}|\u{1F60A}|\u{1F642}|\u{2764}|\u{1F389}|\u{1F600}|\u{1F603}|\u{1F604}|\u{1F44B})/u),
];
