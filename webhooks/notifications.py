"""Telling partners about questions: a JSON POST to the partner's URL, or an e-mail through SMTP. Rows of
the outbox like any reply, so they are retried; delivery is at least once, and each carries a key that
stays the same across retries (`Idempotency-Key`, the e-mail's Message-ID) so that a receiver can drop
a repeat."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage

import httpx

from bot.config import SmtpSettings
from bot.outbox import Claimed
from bot.webhook_signing import HEADER, body_of, partner_secret, signature
from webhooks.delivery import Failed, Outcome, Retry, Sent


class WebhookClient:
    """Signed JSON POSTs (bot/webhook_signing.py) when given sixtcap's secret key."""

    def __init__(self, timeout: float = 10, key: bytes | None = None) -> None:
        self.http = httpx.AsyncClient(timeout=timeout)
        self.key = key

    async def send(self, row: Claimed) -> Outcome:
        payload = row.request["json"]
        body = body_of(payload)
        headers = {
            "Content-Type": "application/json",
            "X-Sixtcap-Event": str(payload.get("event", "")),
            "Idempotency-Key": f"sixtcap-{row.id}",  # the same on every retry of this notification
        }
        if self.key is not None:
            headers[HEADER] = signature(partner_secret(self.key, str(payload.get("partner_id", ""))), body)
        try:
            response = await self.http.post(row.recipient, content=body, headers=headers)
        except httpx.HTTPError as error:
            return Retry(f"partner webhook unreachable: {type(error).__name__}")
        if response.status_code < 300:
            return Sent()
        if response.status_code >= 500 or response.status_code == 429:
            return Retry(f"partner webhook {response.status_code}")
        return Failed(f"partner webhook {response.status_code}")

    async def aclose(self) -> None:
        await self.http.aclose()


class EmailClient:
    def __init__(self, settings: SmtpSettings, password: str | None) -> None:
        self.settings = settings
        self.password = password

    def _send(self, row: Claimed) -> None:
        message = EmailMessage()
        message["From"], message["To"] = self.settings.sender, row.recipient
        message["Subject"] = row.request["subject"]
        domain = self.settings.sender.rpartition("@")[2].strip("> ") or "sixtcap.invalid"
        message["Message-ID"] = f"<sixtcap-{row.id}@{domain}>"  # a retried e-mail is the same message
        message.set_content(row.request["body"])
        with smtplib.SMTP(self.settings.host, self.settings.port, timeout=10) as smtp:
            if self.settings.starttls:
                smtp.starttls()
            if self.settings.username:
                smtp.login(self.settings.username, self.password or "")
            smtp.send_message(message)

    async def send(self, row: Claimed) -> Outcome:
        try:
            await asyncio.to_thread(self._send, row)
        except smtplib.SMTPResponseException as error:
            if 400 <= error.smtp_code < 500:
                return Retry(f"smtp {error.smtp_code}")
            return Failed(f"smtp {error.smtp_code}")
        except (OSError, smtplib.SMTPException) as error:
            return Retry(f"smtp unreachable: {type(error).__name__}")
        return Sent()
