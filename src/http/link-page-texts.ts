// What the reset and verification pages say, in every language of src/locales.ts. Server errors
// that list reasons (the password policy) are shown as the service words them.
import type { Locale } from '../locales';

export interface LinkPageTexts {
  resetTitle: string;
  resetIntro: string;
  newPassword: string;
  repeatPassword: string;
  resetSubmit: string;
  resetDone: string;
  mismatch: string;
  verifyTitle: string;
  verifyIntro: string;
  verifySubmit: string;
  verifyDone: string;
  changeTitle: string;
  changeIntro: string;
  changeSubmit: string;
  changeDone: string;
  checking: string;
  invalidLink: string;
  tooMany: string;
  failed: string;
}

export const LINK_PAGE_TEXTS: Record<Locale, LinkPageTexts> = {
  en: {
    resetTitle: 'Choose a new password',
    resetIntro: 'Enter a new password for {email}.',
    newPassword: 'New password',
    repeatPassword: 'New password, again',
    resetSubmit: 'Set the new password',
    resetDone: 'Your password has been changed. You can now sign in with it.',
    mismatch: 'The two passwords are not the same.',
    verifyTitle: 'Confirm your email address',
    verifyIntro: 'Confirm that {email} is your address.',
    verifySubmit: 'Confirm my email address',
    verifyDone: 'Thank you: your email address is confirmed.',
    changeTitle: 'Confirm your new email address',
    changeIntro: 'Confirm {email} as the new address of your account.',
    changeSubmit: 'Confirm the new address',
    changeDone: 'Your account now uses this email address. Other devices have been signed out.',
    checking: 'Checking the link…',
    invalidLink: 'This link is invalid, was already used or has expired. Ask for a new one.',
    tooMany: 'Too many attempts. Try again later.',
    failed: 'Something went wrong. Try again later.',
  },
  es: {
    resetTitle: 'Elige una nueva contraseña',
    resetIntro: 'Escribe una nueva contraseña para {email}.',
    newPassword: 'Nueva contraseña',
    repeatPassword: 'Repite la nueva contraseña',
    resetSubmit: 'Guardar la nueva contraseña',
    resetDone: 'Tu contraseña ha cambiado. Ya puedes iniciar sesión con ella.',
    mismatch: 'Las dos contraseñas no coinciden.',
    verifyTitle: 'Confirma tu dirección de correo',
    verifyIntro: 'Confirma que {email} es tu dirección.',
    verifySubmit: 'Confirmar mi dirección de correo',
    verifyDone: 'Gracias: tu dirección de correo está confirmada.',
    changeTitle: 'Confirma tu nueva dirección de correo',
    changeIntro: 'Confirma {email} como la nueva dirección de tu cuenta.',
    changeSubmit: 'Confirmar la nueva dirección',
    changeDone: 'Tu cuenta usa ahora esta dirección. Se ha cerrado la sesión en los demás dispositivos.',
    checking: 'Comprobando el enlace…',
    invalidLink: 'Este enlace no es válido, ya se usó o ha caducado. Pide uno nuevo.',
    tooMany: 'Demasiados intentos. Vuelve a intentarlo más tarde.',
    failed: 'Algo ha fallado. Vuelve a intentarlo más tarde.',
  },
  fr: {
    resetTitle: 'Choisissez un nouveau mot de passe',
    resetIntro: 'Saisissez un nouveau mot de passe pour {email}.',
    newPassword: 'Nouveau mot de passe',
    repeatPassword: 'Nouveau mot de passe, à nouveau',
    resetSubmit: 'Enregistrer le nouveau mot de passe',
    resetDone: 'Votre mot de passe a été changé. Vous pouvez maintenant vous connecter avec.',
    mismatch: 'Les deux mots de passe ne sont pas identiques.',
    verifyTitle: 'Confirmez votre adresse e-mail',
    verifyIntro: 'Confirmez que {email} est bien votre adresse.',
    verifySubmit: 'Confirmer mon adresse e-mail',
    verifyDone: 'Merci : votre adresse e-mail est confirmée.',
    changeTitle: 'Confirmez votre nouvelle adresse e-mail',
    changeIntro: 'Confirmez {email} comme nouvelle adresse de votre compte.',
    changeSubmit: 'Confirmer la nouvelle adresse',
    changeDone: 'Votre compte utilise désormais cette adresse. Vos autres appareils ont été déconnectés.',
    checking: 'Vérification du lien…',
    invalidLink: 'Ce lien est invalide, déjà utilisé ou expiré. Demandez-en un nouveau.',
    tooMany: 'Trop de tentatives. Réessayez plus tard.',
    failed: "Une erreur s'est produite. Réessayez plus tard.",
  },
  de: {
    resetTitle: 'Neues Passwort wählen',
    resetIntro: 'Geben Sie ein neues Passwort für {email} ein.',
    newPassword: 'Neues Passwort',
    repeatPassword: 'Neues Passwort wiederholen',
    resetSubmit: 'Neues Passwort speichern',
    resetDone: 'Ihr Passwort wurde geändert. Sie können sich jetzt damit anmelden.',
    mismatch: 'Die beiden Passwörter stimmen nicht überein.',
    verifyTitle: 'E-Mail-Adresse bestätigen',
    verifyIntro: 'Bestätigen Sie, dass {email} Ihre Adresse ist.',
    verifySubmit: 'E-Mail-Adresse bestätigen',
    verifyDone: 'Danke: Ihre E-Mail-Adresse ist bestätigt.',
    changeTitle: 'Neue E-Mail-Adresse bestätigen',
    changeIntro: 'Bestätigen Sie {email} als neue Adresse Ihres Kontos.',
    changeSubmit: 'Neue Adresse bestätigen',
    changeDone: 'Ihr Konto verwendet jetzt diese Adresse. Andere Geräte wurden abgemeldet.',
    checking: 'Der Link wird geprüft …',
    invalidLink: 'Dieser Link ist ungültig, wurde schon benutzt oder ist abgelaufen. Fordern Sie einen neuen an.',
    tooMany: 'Zu viele Versuche. Versuchen Sie es später noch einmal.',
    failed: 'Etwas ist schiefgegangen. Versuchen Sie es später noch einmal.',
  },
};
