"""Build examples/corpus/eastgate_sanctions.txt.gz from the inline text below.

The sitrep example corpus is fictional (see examples/README.md). The source
text lives only here so that the corpus does not also contain an uncompressed
duplicate of the article. mtime=0 keeps the output byte-for-byte reproducible.

Usage: python examples/make_gzip.py
"""
import gzip
from pathlib import Path

ARTICLE = """\
title: EU sanctions three commanders of Congolese armed group over attacks on civilians
url: https://eastgate-daily.example/world/2025/01/27/eu-sanctions-mrk-commanders
outlet: Eastgate Daily
date: 2025-01-27

2 min read
Share

The European Union on Monday imposed sanctions on three commanders of the Movement for the Renewal of Kivu (MRK), an armed group fighting government forces in the eastern Democratic Republic of Congo, accusing them of serious human rights abuses.

EU foreign ministers meeting in Brussels approved an asset freeze and a travel ban on the three men, who the bloc said were responsible for recruiting child soldiers and for a December attack on a camp for displaced people near Beni in which at least 19 civilians died.

A displaced family waits for food distribution outside a camp near Beni. Photo: Didier Mukendi / Eastgate Daily

"Those who target civilians must know that there will be consequences," the EU's foreign policy chief told reporters after the meeting.

Advertisement

Kinshasa welcomes move

The Congolese Foreign Ministry welcomed the decision and called on the United Kingdom and the United States to take similar steps. The MRK, in a statement shared with journalists, rejected the accusations as "fabrications" and said its fighters were only defending local communities.

The group emerged in 2022 and controls several mining areas in Lubero and Walikale territories. Its leaders have demanded that their fighters be integrated into the national army as a condition for any peace deal.

Read more: Kenya offers to host talks between Kinshasa and armed groups

The United Nations peacekeeping mission in the country, MONUSCO, has repeatedly warned that violence in North Kivu has forced hundreds of thousands of people from their homes since the start of last year.

Subscribe to our newsletter to get the day's top stories from the region every evening.

UN envoy warns of worsening humanitarian crisis in eastern Congo
"""


def main() -> None:
    out = Path(__file__).resolve().parent / "corpus" / "eastgate_sanctions.txt.gz"
    with open(out, "wb") as raw:
        with gzip.GzipFile(filename="eastgate_sanctions.txt", mode="wb", fileobj=raw, mtime=0) as gz:
            gz.write(ARTICLE.encode("utf-8"))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
