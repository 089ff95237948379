'use strict';
// Email verification, password reset, password policy and account lockout.
// parsec sends its emails over SMTP (the emailAdapter option); these tests
// catch them with scripts/smtp-sink.js and follow the links in them.
// parse-server configures email through a JavaScript module instead, so
// these run against parsec only.
const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const h = require('./harness');

const skip = !h.IS_PARSEC && 'email settings are parsec-specific';

// Starts the SMTP sink; resolves to {port, dir, child}.
async function startSink() {
  const dir = h.makeTempDir();
  const child = spawn(process.execPath, [path.join(__dirname, '../../scripts/smtp-sink.js'), dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise((resolve, reject) => {
    child.stdout.once('data', d => resolve(Number(String(d).trim())));
    child.once('exit', code => reject(new Error(`smtp sink exited ${code}`)));
  });
  return { port, dir, child };
}

// The messages the sink holds for address, newest last.
function mailTo(sink, address) {
  return fs
    .readdirSync(sink.dir)
    .sort((a, b) => parseInt(a, 10) - parseInt(b, 10))
    .map(f => fs.readFileSync(path.join(sink.dir, f), 'utf8'))
    .filter(m => m.includes(`To: ${address}`));
}

async function waitForMail(sink, address, count = 1) {
  for (let i = 0; i < 100; i++) {
    const mails = mailTo(sink, address);
    if (mails.length >= count) return mails;
    await h.sleep(50);
  }
  throw new Error(`no email to ${address}`);
}

function linkIn(mail, page) {
  const m = mail.match(new RegExp(`(http://\\S+/apps/app/${page}\\?\\S+)`));
  assert.ok(m, `no ${page} link in:\n${mail}`);
  return m[1];
}

describe('account flows', { skip }, () => {
  let sink;
  let server;

  before(async () => {
    sink = await startSink();
    server = await h.startServer(
      {
        appName: 'flows',
        verifyUserEmails: true,
        preventLoginWithUnverifiedEmail: true,
        emailVerifySuccessOnInvalidEmail: false,
        emailAdapter: { smtpURL: `smtp://127.0.0.1:${sink.port}`, from: 'app@example.com' },
        passwordPolicy: {
          validatorPattern: '^.{8,}$',
          doNotAllowUsername: true,
          resetPasswordSuccessOnInvalidEmail: false,
          maxPasswordHistory: 2,
        },
        accountLockout: { threshold: 2, duration: 1 },
      },
      { forceSpawn: true },
    );
    // Links must point back at this server.
    assert.ok(server.url);
  });

  after(async () => {
    if (server) await server.stop();
    if (sink) {
      sink.child.kill('SIGTERM');
      fs.rmSync(sink.dir, { recursive: true, force: true });
    }
  });

  const signup = body => h.request(server, 'POST', '/users', { body });

  test('signup emails a verification link; following it verifies the address', async () => {
    const email = `v_${h.randomId(6)}@example.com`;
    const u = h.expectOk(await signup({ username: `v_${h.randomId(6)}`, password: 'longenough1', email }), 201);
    const mails = await waitForMail(sink, email);
    assert.match(mails[0], /Subject: .*flows/);
    const link = linkIn(mails[0], 'verify_email');
    const me = h.expectOk(await h.request(server, 'GET', '/users/me', { headers: { 'X-Parse-Session-Token': u.sessionToken } }));
    assert.equal(me.emailVerified, false);
    const page = await fetch(link);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type'), /text\/html/);
    const after = h.expectOk(await h.request(server, 'GET', '/users/me', { headers: { 'X-Parse-Session-Token': u.sessionToken } }));
    assert.equal(after.emailVerified, true);
    assert.equal((await fetch(link)).status, 400, 'a used link is no longer valid');
  });

  test('login waits for verification when preventLoginWithUnverifiedEmail is on', async () => {
    const username = `p_${h.randomId(6)}`;
    const email = `${username}@example.com`;
    h.expectOk(await signup({ username, password: 'longenough1', email }), 201);
    h.expectError(await h.request(server, 'POST', '/login', { body: { username, password: 'longenough1' } }), 400, 205);
    const [mail] = await waitForMail(sink, email);
    assert.equal((await fetch(linkIn(mail, 'verify_email'))).status, 200);
    h.expectOk(await h.request(server, 'POST', '/login', { body: { username, password: 'longenough1' } }));
  });

  test('verificationEmailRequest: 204 without email, 125 not a string, 205 unknown, -1 verified, else sent', async () => {
    h.expectError(await h.request(server, 'POST', '/verificationEmailRequest', { body: {} }), 400, 204);
    h.expectError(await h.request(server, 'POST', '/verificationEmailRequest', { body: { email: 5 } }), 400, 125);
    h.expectError(
      await h.request(server, 'POST', '/verificationEmailRequest', { body: { email: `nobody_${h.randomId(6)}@example.com` } }),
      400,
      205,
    );
    const email = `r_${h.randomId(6)}@example.com`;
    h.expectOk(await signup({ username: `r_${h.randomId(6)}`, password: 'longenough1', email }), 201);
    h.expectOk(await h.request(server, 'POST', '/verificationEmailRequest', { body: { email } }));
    const mails = await waitForMail(sink, email, 2);
    assert.notEqual(linkIn(mails[0], 'verify_email'), linkIn(mails[1], 'verify_email'), 'a new token each time');
    assert.equal((await fetch(linkIn(mails[1], 'verify_email'))).status, 200);
    h.expectError(await h.request(server, 'POST', '/verificationEmailRequest', { body: { email } }), 400, -1);
  });

  test('password reset: email, form, new password works, old one and old sessions do not', async () => {
    const username = `reset_${h.randomId(6)}`;
    const email = `${username}@example.com`;
    const u = h.expectOk(await signup({ username, password: 'oldpassword1', email }), 201);
    const [verify] = await waitForMail(sink, email);
    await fetch(linkIn(verify, 'verify_email'));
    h.expectError(
      await h.request(server, 'POST', '/requestPasswordReset', { body: { email: `ghost_${h.randomId(6)}@example.com` } }),
      400,
      205,
    );
    h.expectOk(await h.request(server, 'POST', '/requestPasswordReset', { body: { email } }));
    const mails = await waitForMail(sink, email, 2);
    const link = linkIn(mails[1], 'request_password_reset');
    const form = await fetch(link);
    assert.equal(form.status, 200);
    assert.match(await form.text(), /<form method="POST"/);
    const token = new URL(link).searchParams.get('token');
    const short = await fetch(link, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `token=${token}&new_password=short` });
    assert.equal(short.status, 400, 'the password policy applies to resets');
    const done = await fetch(link, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `token=${token}&new_password=brand%2Bnew+pass1`,
    });
    assert.equal(done.status, 200);
    h.expectError(await h.request(server, 'POST', '/login', { body: { username, password: 'oldpassword1' } }), 404, 101);
    h.expectOk(await h.request(server, 'POST', '/login', { body: { username, password: 'brand+new pass1' } }));
    h.expectError(await h.request(server, 'GET', '/users/me', { headers: { 'X-Parse-Session-Token': u.sessionToken } }), 400, 209);
    const again = await fetch(link, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `token=${token}&new_password=another1234` });
    assert.equal(again.status, 400, 'a reset link works once');
  });

  test('the password policy refuses weak passwords and ones containing the username (142)', async () => {
    h.expectError(await signup({ username: `w_${h.randomId(6)}`, password: 'short' }), 400, 142);
    const username = `name${h.randomId(6)}`;
    h.expectError(await signup({ username, password: `x${username}x12` }), 400, 142);
    const ok = h.expectOk(await signup({ username, password: 'goodpassword' }), 201);
    h.expectError(
      await h.request(server, 'PUT', `/users/${ok.objectId}`, { headers: { 'X-Parse-Session-Token': ok.sessionToken }, body: { password: 'tiny' } }),
      400,
      142,
    );
  });

  test('maxPasswordHistory refuses a recent password (142) and accepts an old enough one', async () => {
    const username = `hist_${h.randomId(6)}`;
    const u = h.expectOk(await signup({ username, password: 'password-one' }), 201);
    // A password change ends the user's sessions and answers a new token.
    let token = u.sessionToken;
    const change = async password => {
      const res = await h.request(server, 'PUT', `/users/${u.objectId}`, {
        headers: { 'X-Parse-Session-Token': token },
        body: { password },
      });
      if (res.status === 200) token = res.json.sessionToken;
      return res;
    };
    h.expectError(await change('password-one'), 400, 142);
    h.expectOk(await change('password-two'));
    h.expectError(await change('password-one'), 400, 142);
    h.expectError(await change('password-two'), 400, 142);
    h.expectOk(await change('password-three'));
    h.expectOk(await change('password-one'), 200, 'three changes back is outside a history of 2');
    h.expectOk(await h.request(server, 'POST', '/login', { body: { username, password: 'password-one' } }));
  });

  test('account lockout: after the threshold, even the right password is refused for the duration', async () => {
    const username = `lock_${h.randomId(6)}`;
    h.expectOk(await signup({ username, password: 'rightpassword' }), 201);
    const login = password => h.request(server, 'POST', '/login', { body: { username, password } });
    h.expectError(await login('wrong-1'), 404, 101);
    h.expectError(await login('wrong-2'), 404, 101);
    const locked = await login('rightpassword');
    h.expectError(locked, 404, 101);
    assert.match(locked.json.error, /locked/);
  });
});
