// The script of the reset and verification pages (src/http/link-pages.ts), served as a file of its
// own so the pages' Content-Security-Policy needs no 'unsafe-inline'. Plain ES2017, no build step:
// a client of the GraphQL API like any other. It takes the token from the address, then removes it
// from the address bar and history, so it is not left behind for the next person at the screen.
export const LINK_PAGE_SCRIPT = `'use strict';
(function () {
  var main = document.getElementById('page');
  var kind = main.getAttribute('data-kind');
  var message = document.getElementById('message');
  var form = document.getElementById('form');
  var submit = document.getElementById('submit');
  var params = new URLSearchParams(window.location.search);
  var token = params.get('token') || '';
  var email = params.get('email') || '';
  var endpoint = new URL('graphql', window.location.href).toString();
  params.delete('token');
  window.history.replaceState(null, '', window.location.pathname + (params.toString() ? '?' + params.toString() : ''));

  function text(key) {
    return main.getAttribute('data-' + key.replace(/[A-Z]/g, function (c) { return '-' + c.toLowerCase(); })) || '';
  }

  // Announced (aria-live) and focused, so a screen reader and a keyboard user both land on it.
  function say(words, isError) {
    message.textContent = words;
    message.className = isError ? 'error' : 'ok';
    message.focus();
  }

  function gql(query, variables) {
    return fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: query, variables: variables }) })
      .then(function (response) { return response.json(); })
      .then(function (body) {
        if (body.errors && body.errors.length) {
          var error = new Error(body.errors[0].message);
          error.code = body.errors[0].extensions && body.errors[0].extensions.code;
          error.fields = (body.errors[0].extensions && body.errors[0].extensions.fields) || {};
          throw error;
        }
        return body.data;
      });
  }

  function explain(error) {
    if (error.code === 'INVALID_TOKEN') return text('invalidLink');
    if (error.code === 'TOO_MANY_REQUESTS') return text('tooMany');
    if (error.code === 'BAD_USER_INPUT') {
      var reasons = [];
      Object.keys(error.fields).forEach(function (name) { reasons = reasons.concat(error.fields[name]); });
      if (reasons.length) return reasons.join(' ');
    }
    return text('failed');
  }

  function end(words, isError) {
    form.hidden = true;
    say(words, isError);
  }

  var arg = { email: email, token: token };
  if (!token || !email) {
    end(text('invalidLink'), true);
    return;
  }

  if (kind === 'reset') {
    var password = document.getElementById('password');
    var again = document.getElementById('password2');
    submit.disabled = true;
    message.textContent = text('checking');
    gql('query ($arg: UserResetValidate!) { user_password_reset_validate(arg: $arg) { status } }', { arg: arg })
      .then(function () {
        message.textContent = '';
        submit.disabled = false;
        password.focus();
      })
      .catch(function (error) { end(explain(error), true); });
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      if (password.value !== again.value) {
        again.setAttribute('aria-invalid', 'true');
        say(text('mismatch'), true);
        return;
      }
      again.removeAttribute('aria-invalid');
      submit.disabled = true;
      gql('mutation ($arg: UserResetConfirm!) { user_password_reset_confirm(arg: $arg) { status } }', {
        arg: { email: email, token: token, password: password.value },
      })
        .then(function () { end(text('resetDone'), false); })
        .catch(function (error) {
          submit.disabled = false;
          if (error.code === 'BAD_USER_INPUT') {
            password.setAttribute('aria-invalid', 'true');
            say(explain(error), true);
          } else {
            end(explain(error), true);
          }
        });
    });
    return;
  }

  var change = kind === 'email_change';
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    submit.disabled = true;
    var document_ = change
      ? 'mutation ($arg: UserEmailToken!) { user_email_change_confirm(arg: $arg) { status } }'
      : 'mutation ($arg: UserEmailToken!) { user_email_verify(arg: $arg) { status } }';
    gql(document_, { arg: arg })
      .then(function () { end(text(change ? 'changeDone' : 'verifyDone'), false); })
      .catch(function (error) { end(explain(error), true); });
  });
  submit.focus();
})();
`;
