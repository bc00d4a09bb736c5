// The built-in emails in Spanish, French and German, sentence by sentence (see email-layout.ts for
// the shape they are poured into). Same placeholders as the English ones (templates.ts).
import type { Locale } from '../locales';
import { composeEmail, type EmailSentences } from './email-layout';
import type { EmailKind, TemplateFile } from './templates';

type Translation = Record<EmailKind, EmailSentences>;

const es: Translation = {
  welcome: {
    subject: 'Te damos la bienvenida a {{app_name}}',
    heading: 'Te damos la bienvenida a {{app_name}}',
    greeting: 'Hola, {{username}}:',
    before: ['tu cuenta está lista. Puedes iniciar sesión con tu nombre de usuario ({{username}}) o con esta dirección de correo ({{email}}).'],
    link: { placeholder: 'verify_link', label: 'Confirmar mi dirección de correo', optional: true, intro: 'Confirma que esta dirección es tuya abriendo este enlace (válido durante {{valid_for}}):' },
    after: [],
    footnote: 'Si no has creado esta cuenta, puedes ignorar este correo.',
  },
  'password-reset': {
    subject: 'Restablece tu contraseña de {{app_name}}',
    heading: 'Restablece tu contraseña',
    greeting: 'Hola, {{username}}:',
    before: ['alguien (esperamos que tú) ha pedido restablecer la contraseña de tu cuenta de {{app_name}}. Abre este enlace para elegir una nueva:'],
    link: { placeholder: 'reset_link', label: 'Elegir una nueva contraseña' },
    after: ['El enlace es válido durante {{valid_for}} (hasta {{expires_at}}) y solo funciona una vez.'],
    footnote: 'Si no lo has pedido tú, ignora este correo: tu contraseña no cambia.',
  },
  'verify-email': {
    subject: 'Confirma tu dirección de correo para {{app_name}}',
    heading: 'Confirma tu dirección de correo',
    greeting: 'Hola, {{username}}:',
    before: ['confirma que {{email}} es la dirección de tu cuenta de {{app_name}} abriendo este enlace:'],
    link: { placeholder: 'verify_link', label: 'Confirmar mi dirección de correo' },
    after: ['El enlace es válido durante {{valid_for}} y solo funciona una vez.'],
    footnote: 'Si no lo has pedido tú, puedes ignorar este correo.',
  },
  'email-change': {
    subject: 'Confirma tu nueva dirección de correo para {{app_name}}',
    heading: 'Confirma tu nueva dirección de correo',
    greeting: 'Hola, {{username}}:',
    before: ['alguien (esperamos que tú) ha pedido usar {{email}} como dirección de una cuenta de {{app_name}}. Abre este enlace para confirmar el cambio:'],
    link: { placeholder: 'confirm_link', label: 'Confirmar la nueva dirección' },
    after: ['El enlace es válido durante {{valid_for}} y solo funciona una vez. Nada cambia hasta que lo abras.'],
    footnote: 'Si no lo has pedido tú, ignora este correo: nada cambia.',
  },
  'email-change-notice': {
    subject: 'La dirección de correo de tu cuenta de {{app_name}} va a cambiar',
    heading: 'Tu dirección de correo va a cambiar',
    greeting: 'Hola, {{username}}:',
    before: [
      'alguien con sesión iniciada en tu cuenta de {{app_name}} ha pedido cambiar su dirección de correo de {{email}} a {{new_email}}.',
      'El cambio solo se hará cuando la nueva dirección lo confirme con el enlace que le hemos enviado.',
    ],
    after: [],
    footnote: 'Si no has sido tú, cambia tu contraseña ahora: puede que otra persona la conozca.',
  },
  'signin-email': {
    subject: 'Tu enlace para iniciar sesión en {{app_name}}',
    heading: 'Inicia sesión en {{app_name}}',
    greeting: 'Hola:',
    before: ['alguien (esperamos que tú) ha pedido iniciar sesión en {{app_name}} con esta dirección de correo ({{email}}). Abre este enlace para iniciar sesión:'],
    link: { placeholder: 'signin_link', label: 'Iniciar sesión' },
    after: ['O introduce este código: {{code}}', 'El enlace y el código son válidos durante {{valid_for}} y solo funcionan una vez.'],
    footnote: 'Si no lo has pedido tú, ignora este correo: nadie puede iniciar sesión sin él.',
  },
};

const fr: Translation = {
  welcome: {
    subject: 'Bienvenue sur {{app_name}}',
    heading: 'Bienvenue sur {{app_name}}',
    greeting: 'Bonjour {{username}},',
    before: ["votre compte est prêt. Vous pouvez vous connecter avec votre nom d'utilisateur ({{username}}) ou avec cette adresse e-mail ({{email}})."],
    link: { placeholder: 'verify_link', label: 'Confirmer mon adresse e-mail', optional: true, intro: 'Confirmez que cette adresse est bien la vôtre en ouvrant ce lien (valable {{valid_for}}) :' },
    after: [],
    footnote: "Si vous n'avez pas créé ce compte, ignorez cet e-mail.",
  },
  'password-reset': {
    subject: 'Réinitialisez votre mot de passe {{app_name}}',
    heading: 'Réinitialisez votre mot de passe',
    greeting: 'Bonjour {{username}},',
    before: ['quelqu’un (vous, espérons-le) a demandé à réinitialiser le mot de passe de votre compte {{app_name}}. Ouvrez ce lien pour en choisir un nouveau :'],
    link: { placeholder: 'reset_link', label: 'Choisir un nouveau mot de passe' },
    after: ["Le lien est valable {{valid_for}} (jusqu'au {{expires_at}}) et ne fonctionne qu'une fois."],
    footnote: "Si vous n'avez rien demandé, ignorez cet e-mail : votre mot de passe ne change pas.",
  },
  'verify-email': {
    subject: 'Confirmez votre adresse e-mail pour {{app_name}}',
    heading: 'Confirmez votre adresse e-mail',
    greeting: 'Bonjour {{username}},',
    before: ['confirmez que {{email}} est bien l’adresse de votre compte {{app_name}} en ouvrant ce lien :'],
    link: { placeholder: 'verify_link', label: 'Confirmer mon adresse e-mail' },
    after: ["Le lien est valable {{valid_for}} et ne fonctionne qu'une fois."],
    footnote: "Si vous n'avez rien demandé, ignorez cet e-mail.",
  },
  'email-change': {
    subject: 'Confirmez votre nouvelle adresse e-mail pour {{app_name}}',
    heading: 'Confirmez votre nouvelle adresse e-mail',
    greeting: 'Bonjour {{username}},',
    before: ['quelqu’un (vous, espérons-le) a demandé à utiliser {{email}} comme adresse d’un compte {{app_name}}. Ouvrez ce lien pour confirmer le changement :'],
    link: { placeholder: 'confirm_link', label: 'Confirmer la nouvelle adresse' },
    after: ["Le lien est valable {{valid_for}} et ne fonctionne qu'une fois. Rien ne change tant que vous ne l'ouvrez pas."],
    footnote: "Si vous n'avez rien demandé, ignorez cet e-mail : rien ne change.",
  },
  'email-change-notice': {
    subject: "L'adresse e-mail de votre compte {{app_name}} va changer",
    heading: 'Votre adresse e-mail va changer',
    greeting: 'Bonjour {{username}},',
    before: [
      "quelqu'un connecté à votre compte {{app_name}} a demandé à remplacer son adresse e-mail {{email}} par {{new_email}}.",
      "Le changement n'aura lieu que lorsque la nouvelle adresse l'aura confirmé avec le lien que nous lui avons envoyé.",
    ],
    after: [],
    footnote: "Si ce n'était pas vous, changez votre mot de passe maintenant : quelqu'un d'autre le connaît peut-être.",
  },
  'signin-email': {
    subject: 'Votre lien de connexion à {{app_name}}',
    heading: 'Connexion à {{app_name}}',
    greeting: 'Bonjour,',
    before: ['quelqu’un (vous, espérons-le) a demandé à se connecter à {{app_name}} avec cette adresse e-mail ({{email}}). Ouvrez ce lien pour vous connecter :'],
    link: { placeholder: 'signin_link', label: 'Se connecter' },
    after: ['Ou saisissez ce code : {{code}}', 'Le lien et le code sont valables {{valid_for}} et ne fonctionnent qu’une fois.'],
    footnote: 'Si vous n’avez rien demandé, ignorez cet e-mail : personne ne peut se connecter sans lui.',
  },
};

const de: Translation = {
  welcome: {
    subject: 'Willkommen bei {{app_name}}',
    heading: 'Willkommen bei {{app_name}}',
    greeting: 'Hallo {{username}},',
    before: ['Ihr Konto ist eingerichtet. Sie können sich mit Ihrem Benutzernamen ({{username}}) oder mit dieser E-Mail-Adresse ({{email}}) anmelden.'],
    link: { placeholder: 'verify_link', label: 'E-Mail-Adresse bestätigen', optional: true, intro: 'Bitte bestätigen Sie, dass diese Adresse Ihnen gehört, indem Sie diesen Link öffnen (gültig für {{valid_for}}):' },
    after: [],
    footnote: 'Wenn Sie dieses Konto nicht angelegt haben, können Sie diese E-Mail ignorieren.',
  },
  'password-reset': {
    subject: 'Setzen Sie Ihr Passwort für {{app_name}} zurück',
    heading: 'Passwort zurücksetzen',
    greeting: 'Hallo {{username}},',
    before: ['jemand (hoffentlich Sie) hat verlangt, das Passwort Ihres Kontos bei {{app_name}} zurückzusetzen. Öffnen Sie diesen Link, um ein neues zu wählen:'],
    link: { placeholder: 'reset_link', label: 'Neues Passwort wählen' },
    after: ['Der Link ist {{valid_for}} gültig (bis {{expires_at}}) und funktioniert nur einmal.'],
    footnote: 'Wenn Sie das nicht verlangt haben, ignorieren Sie diese E-Mail: Ihr Passwort bleibt, wie es ist.',
  },
  'verify-email': {
    subject: 'Bestätigen Sie Ihre E-Mail-Adresse für {{app_name}}',
    heading: 'E-Mail-Adresse bestätigen',
    greeting: 'Hallo {{username}},',
    before: ['bitte bestätigen Sie, dass {{email}} die Adresse Ihres Kontos bei {{app_name}} ist, indem Sie diesen Link öffnen:'],
    link: { placeholder: 'verify_link', label: 'E-Mail-Adresse bestätigen' },
    after: ['Der Link ist {{valid_for}} gültig und funktioniert nur einmal.'],
    footnote: 'Wenn Sie das nicht verlangt haben, können Sie diese E-Mail ignorieren.',
  },
  'email-change': {
    subject: 'Bestätigen Sie Ihre neue E-Mail-Adresse für {{app_name}}',
    heading: 'Neue E-Mail-Adresse bestätigen',
    greeting: 'Hallo {{username}},',
    before: ['jemand (hoffentlich Sie) möchte {{email}} als Adresse eines Kontos bei {{app_name}} verwenden. Öffnen Sie diesen Link, um die Änderung zu bestätigen:'],
    link: { placeholder: 'confirm_link', label: 'Neue Adresse bestätigen' },
    after: ['Der Link ist {{valid_for}} gültig und funktioniert nur einmal. Bis Sie ihn öffnen, ändert sich nichts.'],
    footnote: 'Wenn Sie das nicht verlangt haben, ignorieren Sie diese E-Mail: Es ändert sich nichts.',
  },
  'email-change-notice': {
    subject: 'Die E-Mail-Adresse Ihres Kontos bei {{app_name}} soll geändert werden',
    heading: 'Ihre E-Mail-Adresse soll geändert werden',
    greeting: 'Hallo {{username}},',
    before: [
      'jemand, der in Ihrem Konto bei {{app_name}} angemeldet ist, möchte dessen E-Mail-Adresse von {{email}} in {{new_email}} ändern.',
      'Die Änderung geschieht erst, wenn die neue Adresse sie mit dem Link bestätigt, den wir dorthin geschickt haben.',
    ],
    after: [],
    footnote: 'Wenn Sie das nicht waren, ändern Sie jetzt Ihr Passwort: Jemand anderes kennt es vielleicht.',
  },
  'signin-email': {
    subject: 'Ihr Anmeldelink für {{app_name}}',
    heading: 'Bei {{app_name}} anmelden',
    greeting: 'Hallo,',
    before: ['jemand (hoffentlich Sie) möchte sich mit dieser E-Mail-Adresse ({{email}}) bei {{app_name}} anmelden. Öffnen Sie diesen Link, um sich anzumelden:'],
    link: { placeholder: 'signin_link', label: 'Anmelden' },
    after: ['Oder geben Sie diesen Code ein: {{code}}', 'Link und Code sind {{valid_for}} gültig und funktionieren nur einmal.'],
    footnote: 'Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail: Ohne sie kann sich niemand anmelden.',
  },
};

function build(lang: Locale, translation: Translation): Record<TemplateFile, string> {
  return Object.assign({}, ...Object.entries(translation).map(([kind, sentences]) => composeEmail(kind, lang, sentences))) as Record<TemplateFile, string>;
}

export const TRANSLATED_TEMPLATES: Record<Exclude<Locale, 'en'>, Record<TemplateFile, string>> = {
  es: build('es', es),
  fr: build('fr', fr),
  de: build('de', de),
};
