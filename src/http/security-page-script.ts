// The script of GET /account/security (src/http/security-page.ts), served as a file of its own so
// the page's Content-Security-Policy needs no 'unsafe-inline'. Plain ES2017 for the browser, no
// build step. A client of the GraphQL API like any other; SimpleWebAuthnBrowser is
// @simplewebauthn/browser's bundle, served beside it. The access token lives in the page's memory only.
export const SECURITY_PAGE_SCRIPT = `'use strict';
(function () {
  var endpoint = new URL('../graphql', window.location.href).toString();
  var session = null; // { access, refresh }
  var ticket = null;

  function $(id) {
    return document.getElementById(id);
  }

  function say(text, isError) {
    var box = $('message');
    box.textContent = text;
    box.className = isError ? 'error' : 'ok';
  }

  function gql(query, variables, withToken) {
    var headers = { 'content-type': 'application/json' };
    if (withToken && session) headers.authorization = 'Bearer ' + session.access;
    return fetch(endpoint, { method: 'POST', headers: headers, body: JSON.stringify({ query: query, variables: variables || {} }) })
      .then(function (response) {
        return response.json();
      })
      .then(function (body) {
        if (body.errors && body.errors.length) {
          var error = new Error(body.errors[0].message);
          error.code = body.errors[0].extensions && body.errors[0].extensions.code;
          error.extensions = body.errors[0].extensions || {};
          throw error;
        }
        return body.data;
      });
  }

  function claims(access) {
    var part = access.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(decodeURIComponent(escape(window.atob(part))));
  }

  function signedIn(tokens) {
    session = tokens;
    ticket = null;
    var payload = claims(tokens.access);
    $('status').textContent = 'Signed in as ' + payload.user_name + ' (amr: ' + payload.amr.join(', ') + ')';
    $('status').setAttribute('data-amr', payload.amr.join(','));
    $('mfa-step').hidden = true;
    $('account').hidden = false;
    say('Signed in.');
  }

  function fail(error) {
    say((error.code ? error.code + ': ' : '') + error.message, true);
  }

  $('signin-form').addEventListener('submit', function (event) {
    event.preventDefault();
    gql('query ($arg: UserLogin!) { user_login(arg: $arg) { access refresh } }', {
      arg: { username: $('username').value, password: $('password').value },
    })
      .then(function (data) {
        signedIn(data.user_login);
      })
      .catch(function (error) {
        if (error.code === 'MFA_REQUIRED') {
          ticket = error.extensions.ticket;
          $('mfa-step').hidden = false;
          $('mfa-code').focus();
          say('Enter the code from your authenticator app, or a recovery code.');
          return;
        }
        fail(error);
      });
  });

  $('mfa-step').addEventListener('submit', function (event) {
    event.preventDefault();
    gql('mutation ($arg: UserLoginMfa!) { user_login_mfa(arg: $arg) { access refresh } }', {
      arg: { ticket: ticket || '', code: $('mfa-code').value },
    })
      .then(function (data) {
        signedIn(data.user_login_mfa);
      })
      .catch(fail);
  });

  $('passkey-signin').addEventListener('click', function () {
    var username = $('username').value.trim();
    gql('mutation ($arg: PasskeySigninOptions!) { user_passkey_signin_options(arg: $arg) }', { arg: { username: username || null } })
      .then(function (data) {
        return SimpleWebAuthnBrowser.startAuthentication({ optionsJSON: data.user_passkey_signin_options });
      })
      .then(function (credential) {
        return gql('mutation ($arg: PasskeyCredential!) { user_passkey_signin(arg: $arg) { access refresh } }', { arg: { credential: credential } });
      })
      .then(function (data) {
        signedIn(data.user_passkey_signin);
      })
      .catch(fail);
  });

  $('passkey-form').addEventListener('submit', function (event) {
    event.preventDefault();
    gql('mutation { user_passkey_registration_options }', {}, true)
      .then(function (data) {
        return SimpleWebAuthnBrowser.startRegistration({ optionsJSON: data.user_passkey_registration_options });
      })
      .then(function (credential) {
        return gql(
          'mutation ($arg: PasskeyCredential!) { user_passkey_register(arg: $arg) { status } }',
          { arg: { credential: credential, name: $('passkey-name').value || null } },
          true,
        );
      })
      .then(function () {
        say('Passkey added. You can now sign in with it.');
      })
      .catch(fail);
  });

  $('totp-setup').addEventListener('click', function () {
    gql('mutation { user_mfa_totp_setup { secret otpauth_url qr_svg } }', {}, true)
      .then(function (data) {
        var setup = data.user_mfa_totp_setup;
        // The SVG comes from this service; parsed as SVG, never run as HTML.
        var svg = new DOMParser().parseFromString(setup.qr_svg, 'image/svg+xml').documentElement;
        svg.setAttribute('role', 'img');
        svg.setAttribute('aria-label', 'QR code to scan with an authenticator app');
        $('totp-qr').replaceChildren(document.importNode(svg, true));
        $('totp-secret').textContent = setup.secret;
        $('totp-enable-form').hidden = false;
        say('Scan the QR code with your authenticator app, then enter the code it shows.');
      })
      .catch(fail);
  });

  $('totp-enable-form').addEventListener('submit', function (event) {
    event.preventDefault();
    gql('mutation ($arg: MfaCode!) { user_mfa_totp_enable(arg: $arg) { codes } }', { arg: { code: $('totp-code').value } }, true)
      .then(function (data) {
        var list = $('recovery-codes');
        list.replaceChildren();
        data.user_mfa_totp_enable.codes.forEach(function (code) {
          var item = document.createElement('li');
          item.textContent = code;
          list.appendChild(item);
        });
        $('recovery').hidden = false;
        $('totp-enable-form').hidden = true;
        say('Two-step sign-in is on. Keep the recovery codes somewhere safe: they are shown only now.');
      })
      .catch(fail);
  });

  $('totp-disable-form').addEventListener('submit', function (event) {
    event.preventDefault();
    gql('mutation ($arg: MfaCode!) { user_mfa_disable(arg: $arg) { status } }', { arg: { code: $('totp-disable-code').value } }, true)
      .then(function () {
        say('Two-step sign-in is off.');
      })
      .catch(fail);
  });
})();
`;
