"""An SMTP server for the latency benchmark (deploy/bench-checkins-latency.sh): accepts every message
and appends one line per message to the file named by its first argument: the arrival time (Unix
seconds), the Message-ID and the pairing id the check-in mail names ("编号 <uuid>"), if any.
Usage: python3 deploy/smtp-sink.py LOG PORT"""
import asyncio
import email
import email.policy
import re
import sys
import time

from aiosmtpd.controller import Controller

PAIRING = re.compile(r"编号 ([0-9a-f-]{36})")


class Sink:
    def __init__(self, out):
        self.out = out

    async def handle_DATA(self, server, session, envelope):
        arrived = time.time()
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        found = PAIRING.search(text)
        self.out.write(f"{arrived:.3f} {msg.get('Message-ID', '-')} {found.group(1) if found else '-'}\n")
        self.out.flush()
        return "250 OK"


async def main(path, port):
    with open(path, "a", encoding="utf-8") as out:
        controller = Controller(Sink(out), hostname="127.0.0.1", port=port)
        controller.start()
        try:
            while True:
                await asyncio.sleep(3600)
        finally:
            controller.stop()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
