# The console's, the landing page's (and later the portal's) messages in English.
# Every key here must exist in ur.ftl too (a test fails otherwise).

## Shared layout
site-name = tallyseal console
skip-to-content = Skip to the content
signed-in-as = Signed in as { $login }
your-role = Role
language-switch = اردو
language-switch-label = Read this page in Urdu
sign-out = Sign out
nav-home = Home
nav-operators = Operators
nav-main = Main navigation

role-admin = Commission administrator
role-ro = Returning Officer
role-operator = Data-entry operator
role-observer = Observer

## Sign in
login-title = Sign in to the console
login-name = Login name
login-password = Password
login-submit = Sign in
login-wrong = Wrong login name or password.
login-locked = Too many failed sign-ins. Try again in { $minutes } minutes.
login-signed-out = You have signed out.

## Home
home-title = Your constituencies
home-all = Your account covers every constituency of every election.
home-none = No constituency is assigned to this account yet.
home-election = Election
home-constituency = Constituency
home-board = Arrival board

## Operators
operators-title = Data-entry operators
operators-intro = Create an account for each data-entry operator of your constituencies. The password is shown once: give it to the operator in person.
operators-login = Login name
operators-election = Election
operators-constituency = Constituency
operators-create = Create the account
operators-created = Account { $login } created. Its password, shown only now:
operators-none = No operator accounts yet.
operators-status = Status
operators-active = active
operators-disabled = disabled
operators-disable = Disable
operators-disabled-done = Account { $login } is disabled; its sessions have ended.
operators-action = Action

## Error pages
error-401 = Please sign in first.
error-403 = Your role or constituency does not allow this.
error-404 = There is no such page.
error-409 = This conflicts with what is already recorded.
error-422 = Some of what you entered is not valid.
error-csrf = This form has expired or did not come from this site. Reload the page and try again.
error-back = Back to the console
error-title = Something went wrong

## Landing page
landing-server-version = server version
landing-intro = This server receives the photographs of polling-station results (Form-45 and Form-46) that Presiding Officers take with the tallyseal app. Each photograph is sealed on the phone: the image's SHA-256, the position and time of the capture and an Ed25519 signature of the enrolled device. The server checks the seal, the device's enrolment and the capture's place and time, stores the image unchanged and answers with a receipt signed by the Commission key, which anyone can check with tallyseal verify.
landing-elections = Elections
landing-no-elections = No election has been published on this server yet.
landing-package = signed election package
landing-api = API
landing-api-intro = JSON over HTTP; errors are RFC 9457 problem+json. Images travel over tus 1.0. The full description is docs/server-api.md in the tallyseal repository.
landing-col-request = request
landing-col-who = who
landing-col-what = what
landing-nav-api = API
landing-nav-health = Health
landing-nav-keys = Commission keys
landing-nav-console = Console
landing-who-anyone = anyone
landing-who-phone = phone
landing-who-admin = admin
landing-who-operator = operator
landing-ep-health = the database answers; the near-duplicate analysis backlog
landing-ep-keys = the Commission key that signs receipts, time anchors and packages; the transparency log's key and its witnesses' keys
landing-ep-time-anchor = a time anchor signed by the server, for the capture-time evidence
landing-ep-import = import (publish) a signed election package
landing-ep-package = the signed election package
landing-ep-codes = a one-time enrolment code for a polling station
landing-ep-enrol = enrol a device key for a station with a code
landing-ep-revoke = revoke a device key
landing-ep-captures = the signed capture manifest (hash first); answers with a signed receipt
landing-ep-capture-status = a capture's status, latest receipt, verification report and its proof of inclusion in the log
landing-ep-log = the public transparency log (C2SP tlog-tiles): the latest signed checkpoint with its witnesses' cosignatures, hash tiles and entry bundles
landing-ep-uploads = the image over tus 1.0 (resumable); the last request's answer carries the verified receipt
landing-ep-metrics = Prometheus metrics (keep it off the public proxy)
