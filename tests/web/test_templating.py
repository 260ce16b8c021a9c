from __future__ import annotations

from decimal import Decimal

from storyreel.web.templating import money, static_url, templates


def test_money_reads_like_a_price() -> None:
    assert money(None) == "—"
    assert money(Decimal("0.042")) == "$0.042"
    assert money("0.5") == "$0.50"
    assert money(0) == "$0.00"
    assert money(Decimal("1234.5")) == "$1,234.50"


def test_user_text_is_escaped_in_every_template() -> None:
    template = templates.env.from_string("<p>{{ prompt }}</p>")
    assert template.render(prompt="<script>alert(1)</script>") == (
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"
    )


def test_static_urls_carry_a_content_hash() -> None:
    url = static_url("app.css")
    assert url.startswith("/ui/static/app.css?v=") and len(url.split("v=")[1]) == 10
