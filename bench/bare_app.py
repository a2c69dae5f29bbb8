"""The baseline for bench/flow_step.py: Flask returning fixed TwiML, nothing else."""

from flask import Flask, Response

TWIML = ('<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="https://x/twilio/step'
         '?t=1&amp;on=gather" actionOnEmptyResult="true" input="dtmf" numDigits="1" timeout="5">'
         '<Say language="ja-JP" voice="Polly.Mizuki">ご注文は1、返品は2を押してください。</Say>'
         '</Gather></Response>')

app = Flask(__name__)


@app.post("/twilio/voice")
@app.post("/twilio/step")
def fixed():
    return Response(TWIML, mimetype="text/xml")
