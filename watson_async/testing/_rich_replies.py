"""Replies of the scripted bot made of items for web chat and the phone channel.

These are the response types no SDK models (``watson_async.models`` types them:
``GenericCard``, ``GenericButton``, ...); the field names follow IBM's response types
reference. Kept apart from :mod:`._script` so that stays a readable conversation.
"""

from __future__ import annotations

from typing import Any

__all__: list[str] = []


def text_item(text: str) -> dict[str, Any]:
    return {"response_type": "text", "text": text}


MEDIA_URL = "https://example.com/fake-assistant"


def post_back_button(label: str, text: str) -> dict[str, Any]:
    return {
        "response_type": "button",
        "button_type": "post_back",
        "label": label,
        "value": {"input": {"text": text}},
    }


def carousel_reply() -> dict[str, Any]:
    # Web chat types no SDK models (watson_async types them: GenericCarousel, ...).
    card = {"response_type": "card", "body": [text_item("Paris"), text_item("From 99 EUR")]}
    return {"response_type": "carousel", "items": [card]}


def card_reply() -> dict[str, Any]:
    return {
        "response_type": "card",
        "body": [
            text_item("## Rome"),
            {"response_type": "image", "source": f"{MEDIA_URL}/rome.jpg", "alt_text": "Rome"},
            text_item("3 nights from 249 EUR"),
        ],
        "footer": [
            post_back_button("Book Rome", "book a trip"),
            {
                "response_type": "button",
                "button_type": "url",
                "label": "Details",
                "url": f"{MEDIA_URL}/rome",
            },
        ],
    }


def buttons_reply() -> list[dict[str, Any]]:
    return [
        post_back_button("Show the menu", "menu"),
        {
            "response_type": "button",
            "button_type": "url",
            "label": "Open the guide",
            "url": f"{MEDIA_URL}/guide",
            "target": "_blank",
        },
        {
            "response_type": "button",
            "button_type": "custom_event",
            "label": "Print",
            "kind": "secondary",
            "custom_event_name": "print_ticket",
            "user_defined": {"ticket": "FA 123"},
        },
        {
            "response_type": "button",
            "button_type": "show_panel",
            "label": "Fare rules",
            "kind": "tertiary",
            "panel": {
                "title": "Fare rules",
                "show_animations": False,
                "body": [text_item("Changes are free up to 24 hours before departure.")],
            },
        },
    ]


def grid_reply() -> dict[str, Any]:
    def cell(text: str) -> dict[str, Any]:
        return {"items": [text_item(text)]}

    return {
        "response_type": "grid",
        "columns": [{"width": "2"}, {"width": "1"}],
        "rows": [
            {"cells": [cell("Paris"), cell("99 EUR")]},
            {"cells": [cell("Rome"), cell("249 EUR")]},
        ],
    }


def table_reply() -> dict[str, Any]:
    return {
        "response_type": "table",
        "title": "Departures",
        "headers": ["Flight", "To", "Gate"],
        "rows": [{"cells": ["FA 123", "Paris", 12]}, {"cells": ["FA 456", "Rome", 7]}],
    }


def phone_reply() -> list[dict[str, Any]]:
    # The phone channel's commands, from IBM's response types reference.
    phone = [{"channel": "voice_telephony"}]
    return [
        {
            "response_type": "speech_to_text",
            "channels": phone,
            "command_info": {
                "type": "configure",
                "parameters": {"narrowband_recognize": {"smart_formatting": True}},
            },
        },
        {
            "response_type": "text_to_speech",
            "channels": phone,
            "command_info": {
                "type": "configure",
                "parameters": {"synthesize": {"voice": "en-US_LisaVoice"}},
            },
        },
        {
            "response_type": "stop_activities",
            "channels": phone,
            "activities": [{"type": "dtmf_collection"}],
        },
        {
            "response_type": "start_activities",
            "channels": phone,
            "activities": [{"type": "speech_to_text_recognition"}],
        },
    ]
