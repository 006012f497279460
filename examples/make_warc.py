"""Build examples/corpus/crawl.warc.gz: a tiny WARC with two HTML response records.

The pages are fictional (sitrep example corpus, see examples/README.md); the HTML
is inline below. Requires warcio. In the sitrep dev environment run it with:

    /tmp/probe/bin/python examples/make_warc.py

WARC-Date (the crawl time) is deliberately later than the articles' own
article:published_time, so a date extractor must prefer the page metadata.
"""
from io import BytesIO
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

CEASEFIRE_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Ceasefire between Kinshasa and MRK rebels to take effect on Sunday | Northline Post</title>
<meta property="og:site_name" content="Northline Post">
<meta name="author" content="Jonas Mbeki-Lund">
<meta property="og:title" content="Ceasefire between Kinshasa and MRK rebels to take effect on Sunday">
<meta property="article:published_time" content="2025-03-15T06:00:00Z">
<link rel="canonical" href="https://northlinepost.example/africa/2025/03/15/drc-mrk-ceasefire-takes-effect">
</head>
<body>
<header><a href="/">Northline Post</a>
<nav><a href="/">Home</a> <a href="/world/">World</a> <a href="/africa/">Africa</a> <a href="/newsletters/">Newsletters</a></nav>
</header>
<main>
<article>
<h1>Ceasefire between Kinshasa and MRK rebels to take effect on Sunday</h1>
<p class="meta">By Jonas Mbeki-Lund &middot; <time datetime="2025-03-15T06:00:00Z">15 March 2025</time> &middot; 3 min read</p>
<div class="share">Share</div>
<p>A ceasefire between the Democratic Republic of Congo's army and the Movement for the Renewal of Kivu (MRK) is due to take effect at midnight on Sunday, after the two sides signed an agreement in Nairobi on Friday under Kenyan mediation.</p>
<p>The truce covers North Kivu province, where clashes since December have driven tens of thousands of people from their homes. It allows aid agencies to move food and medicine into areas that have been sealed off for weeks.</p>
<figure><img src="/img/2025/03/butembo-road.jpg" alt=""><figcaption>Aid trucks wait on the road north of Butembo. Photo: Celine Kabeya / Northline Post</figcaption></figure>
<h2>Monitors from AU and UN</h2>
<p>Officers from both sides will sit on a verification team alongside representatives of the African Union and the UN mission, MONUSCO. The team is supposed to investigate any violations and report to the mediators.</p>
<p>Congo's government spokesman said on state radio that the agreement was "not a reward for the rebels" and that the army would respond to any attack. The MRK's political leader said in a video message that his fighters had been ordered to hold their positions.</p>
<div class="ad">Advertisement</div>
<p>The European Union and the United Kingdom, both of which sanctioned MRK commanders earlier this year, welcomed the agreement. Rights groups urged the parties not to grant amnesty for serious crimes in any future deal.</p>
<p>Read also: <a href="/africa/2025/03/05/kenya-hosts-congo-talks">Kenya hosts Congo peace talks as fighting rages in North Kivu</a></p>
<section class="comments"><h3>Comments</h3>
<p>Comments on this article are closed. Read our community guidelines to find out how we moderate comments.</p></section>
</article>
<aside><h3>Related</h3><ul><li><a href="/africa/2025/01/27/eu-sanctions-congo-rebels">EU targets Congolese rebel commanders with sanctions</a></li></ul></aside>
</main>
<footer><p>&copy; 2025 Northline Post. All rights reserved.</p>
<p>We use cookies to improve your experience on our site. <a href="/cookies/">Cookie policy</a></p></footer>
</body>
</html>
"""

PHONE_CALL_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Japanese, Philippine leaders discuss maritime security in phone call - Crossroads Herald</title>
<meta property="og:site_name" content="Crossroads Herald">
<meta name="author" content="Mariko Lindqvist">
<meta property="article:published_time" content="2025-01-20T10:45:00+09:00">
<link rel="canonical" href="https://crossroads-herald.example/asia/2025/01/20/japan-philippines-leaders-phone-call">
</head>
<body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/asia/">Asia</a></li><li><a href="/politics/">Politics</a></li><li><a href="/subscribe/">Subscribe</a></li></ul></nav>
<article>
<h1>Japanese, Philippine leaders discuss maritime security in phone call</h1>
<p class="byline">Mariko Lindqvist, Tokyo</p>
<p class="reading-time">2 min read</p>
<p>Japan's prime minister and the president of the Philippines agreed in a telephone call on Monday to step up coordination between their coast guards and armed forces, as both countries face growing pressure from Chinese vessels in nearby waters, Japan's Foreign Ministry said.</p>
<p>The two leaders spoke for about 30 minutes and welcomed progress towards bringing into force a defence pact that allows their troops to train on each other's territory, according to the ministry's readout. Manila's presidential communications office said the call also covered disaster relief and energy investment.</p>
<figure><img src="/images/2025/01/coast-guard.jpg" alt=""><figcaption>A Philippine coast guard vessel off Palawan during a joint exercise in 2024. Photo: Crossroads Herald</figcaption></figure>
<h2>Foreign minister to visit Manila</h2>
<p>Japan's foreign minister will travel to Manila next month to prepare for a summit later in the year, a Japanese government spokesperson told a regular news conference. The visit is expected to include talks on the supply of additional patrol boats under Japan's official development assistance programme.</p>
<p class="ad-label">Advertisement</p>
<p>China's Foreign Ministry, asked about the call, said countries should not "form small circles" that undermine regional stability. Beijing has repeatedly objected to closer military cooperation between Manila, Tokyo and Washington.</p>
<p>Subscribe to our newsletter to receive Asia headlines every morning.</p>
</article>
<section id="respond"><h3>LEAVE A REPLY</h3>
<form><textarea placeholder="Please enter your comment!"></textarea><input placeholder="Please enter your name here"><button>Post a comment</button></form></section>
<footer>&copy; 2025 Crossroads Herald. All rights reserved. This site uses cookies.</footer>
</body>
</html>
"""

PAGES = [
    ("https://northlinepost.example/africa/2025/03/15/drc-mrk-ceasefire-takes-effect",
     CEASEFIRE_HTML, "2025-03-16T08:12:45Z"),
    ("https://crossroads-herald.example/asia/2025/01/20/japan-philippines-leaders-phone-call",
     PHONE_CALL_HTML, "2025-03-16T08:13:02Z"),
]


def main() -> None:
    out = Path(__file__).resolve().parent / "corpus" / "crawl.warc.gz"
    with open(out, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for url, html, crawl_date in PAGES:
            body = html.encode("utf-8")
            http_headers = StatusAndHeaders(
                "200 OK",
                [
                    ("Content-Type", "text/html; charset=utf-8"),
                    ("Content-Length", str(len(body))),
                    ("Server", "nginx"),
                ],
                protocol="HTTP/1.1",
            )
            record = writer.create_warc_record(
                url,
                "response",
                payload=BytesIO(body),
                length=len(body),
                http_headers=http_headers,
                warc_headers_dict={"WARC-Date": crawl_date},
            )
            writer.write_record(record)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
