"""Built-in prompts for what flows leave unsaid, in the languages we ship (others fall back)."""

from __future__ import annotations

from ivr.flows.model import Text

_PHRASES: dict[str, dict[str, str]] = {
    "no_input": {"ja-JP": "入力が確認できませんでした。",
                 "en-US": "Sorry, we did not receive your input."},
    "invalid": {"ja-JP": "入力された内容を確認できませんでした。",
                "en-US": "Sorry, that is not a valid choice."},
    "recording_notice": {"ja-JP": "この通話は録音されます。",
                         "en-US": "This call will be recorded."},
    "voicemail_prompt": {"ja-JP": "発信音の後にメッセージをどうぞ。",
                         "en-US": "Please leave a message after the tone."},
    "voicemail_review": {"ja-JP": "このメッセージを保存するには1を、録音し直すには2を押してください。",
                         "en-US": "To save this message, press 1. To record it again, press 2."},
    "voicemail_again": {"ja-JP": "発信音の後に、もう一度メッセージをどうぞ。",
                        "en-US": "Please record your message again after the tone."},
    "voicemail_saved": {"ja-JP": "メッセージをお預かりしました。",
                        "en-US": "Your message has been saved."},
    "voicemail_empty": {"ja-JP": "メッセージが録音されませんでした。",
                        "en-US": "No message was recorded."},
    "callback_confirm": {
        "ja-JP": "{caller.phone} に折り返しお電話いたします。よろしければ1を、別の番号をご希望の場合は2を押してください。",
        "en-US": "We will call you back at {caller.phone}. Press 1 to confirm, or 2 to give "
                 "another number."},
    "callback_enter": {"ja-JP": "折り返し先の電話番号を市外局番から入力し、最後に#を押してください。",
                       "en-US": "Please enter the number to call you back on, followed by the "
                                "pound key."},
    "callback_done": {"ja-JP": "折り返しのお電話を承りました。担当者よりご連絡いたします。",
                      "en-US": "Thank you. We will call you back shortly."},
    "apology": {"ja-JP": "申し訳ございません。ただいまシステムに問題が発生しております。",
                "en-US": "We are sorry, we are experiencing a technical problem."},
    "queue_position": {"ja-JP": "ただいま大変混み合っております。お客様は{vars.position}番目にお待ちいただいております。",
                       "en-US": "All of our agents are busy. You are number {vars.position} in line."},
    "agent_callback": {"ja-JP": "折り返しのお電話です。お客様におつなぎします。",
                       "en-US": "This is a call-back. Connecting you to the customer."},
    "agent_callback_missed": {"ja-JP": "お客様につながりませんでした。のちほど再度おかけします。",
                              "en-US": "The customer did not answer. We will try again later."},
    "agent_caller_gone": {"ja-JP": "お客様は電話を切られました。", "en-US": "The caller has hung up."},
    "queue_estimate": {"ja-JP": "およその待ち時間は{vars.minutes}分です。",
                       "en-US": "Your estimated wait is about {vars.minutes} minutes."},
    "queue_callback_offer": {
        "ja-JP": "順番はそのままで、折り返しのお電話をご希望の場合は{vars.key}を押してください。",
        "en-US": "To keep your place and have us call you back instead, press {vars.key}."},
    "queue_hold": {"ja-JP": "このまま、しばらくお待ちください。",
                   "en-US": "Please stay on the line."},
}


def phrase(name: str) -> Text:
    """A built-in prompt as a Text (English answers for languages we have no phrase in)."""
    by_language = _PHRASES[name]
    return Text({"": by_language["en-US"], **by_language})
