"""`publisher email --send-test`: send the .eml, unchanged, to one address through an SMTP server.

Settings come from the environment (SMTP_HOST, SMTP_PORT, SMTP_USER, SMTP_PASSWORD, SMTP_STARTTLS) so that no
password is ever written into mkdocs.yml. Sending to subscribers is the mailing service's job, not ours.
"""

from __future__ import annotations

import email.utils
import os
import smtplib
import ssl
from dataclasses import dataclass
from typing import Mapping

from publisher.outputs.email import ADDRESS, EmailError

TIMEOUT_SECONDS = 30
YES = {"1", "yes", "true", "on"}
NO = {"0", "no", "false", "off"}
EXAMPLE = ("for example SMTP_HOST=smtp.office365.com SMTP_PORT=587 SMTP_USER=you@example.nhs.uk "
           "SMTP_PASSWORD=... (SMTP_STARTTLS is on unless set to no)")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    user: str | None
    password: str | None
    starttls: bool


def smtp_settings(environ: Mapping[str, str]) -> SmtpSettings:
    """Read and check the SMTP_* variables; every problem is one plain sentence naming the variable."""
    host = environ.get("SMTP_HOST", "").strip()
    port_text = environ.get("SMTP_PORT", "").strip()
    missing = [name for name, value in (("SMTP_HOST", host), ("SMTP_PORT", port_text)) if not value]
    if missing:
        raise EmailError(f"--send-test needs {' and '.join(missing)} set to your mail server's details; {EXAMPLE}")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise EmailError(f'SMTP_PORT is "{port_text}", which is not a port number; it is usually 587 or 25')
    tls_text = (environ.get("SMTP_STARTTLS") or "yes").strip().lower()
    if tls_text not in YES | NO:
        raise EmailError(f'SMTP_STARTTLS is "{tls_text}"; set it to yes or no')
    user = environ.get("SMTP_USER", "").strip() or None
    password = environ.get("SMTP_PASSWORD") or None
    if bool(user) != bool(password):
        raise EmailError("set both SMTP_USER and SMTP_PASSWORD, or neither (for a server that needs no login)")
    starttls = tls_text in YES
    if password and not starttls:
        raise EmailError("SMTP_PASSWORD would be sent unencrypted because SMTP_STARTTLS is off; turn it on "
                         "(SMTP_STARTTLS=yes) or use a server that needs no login")
    return SmtpSettings(host, int(port_text), user, password, starttls)


def send_test(message: bytes, sender: str, recipient: str, environ: Mapping[str, str] | None = None) -> SmtpSettings:
    """Send `message` exactly as written to the .eml, so the test shows what subscribers will get."""
    environ = os.environ if environ is None else environ
    if not ADDRESS.fullmatch(recipient.strip()):
        raise EmailError(f'--send-test "{recipient}" is not an email address; give one such as you@example.nhs.uk')
    settings = smtp_settings(environ)
    envelope_from = email.utils.parseaddr(sender)[1]
    where = f"{settings.host}:{settings.port}"
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_SECONDS) as smtp:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.user and settings.password:
                smtp.login(settings.user, settings.password)
            smtp.sendmail(envelope_from, [recipient.strip()], message)
    except smtplib.SMTPAuthenticationError:
        raise EmailError(f"{where} refused SMTP_USER and SMTP_PASSWORD; check them") from None
    except smtplib.SMTPNotSupportedError:
        raise EmailError(f"{where} does not offer STARTTLS; check SMTP_PORT (usually 587), or set "
                         "SMTP_STARTTLS=no for a server on your own network that needs no login") from None
    except smtplib.SMTPRecipientsRefused:
        raise EmailError(f"{where} refused to deliver to {recipient}; check the address") from None
    except smtplib.SMTPSenderRefused:
        raise EmailError(f"{where} refused to send from {envelope_from}; set extra.email.from in mkdocs.yml to "
                         "an address this server may send from") from None
    except (smtplib.SMTPException, ssl.SSLError) as exc:
        raise EmailError(f"{where} did not accept the test email: {exc}") from None
    except OSError as exc:  # DNS failure, connection refused, timeout
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise EmailError(f"could not reach the mail server {where} ({reason}); check SMTP_HOST and SMTP_PORT") \
            from None
    return settings
