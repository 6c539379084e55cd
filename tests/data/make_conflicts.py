"""Writes tests/data/conflicts.jsonl: real seed sentences (found in seeds/*.txt, with their offsets) and written
news-like ones, each case labelled by hand with the conflicts a careful reader would flag.

    python tests/data/make_conflicts.py

Batches: "tuning" cases were written first and the rules were tuned on them; "holdout" and "holdout2" were each
written after a round of tuning and scored once before any further change (holdout: precision 3/4, recall 3/9;
holdout2: precision 3/4, recall 3/9); the general fixes made after those scores count them as tuned data now.
"""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))
from qa.text import sentence_spans  # noqa: E402
SEEDS = {p.name[:3]: p for p in (ROOT / "seeds").glob("0*.txt")}
DATES = {"003": "2025-11-29"}
TEXTS = {k: p.read_text(encoding="utf-8") for k, p in SEEDS.items()}
SPANS = {k: sentence_spans(t) for k, t in TEXTS.items()}


def seed(doc: str, snippet: str):
    """The whole seed sentence that contains ``snippet``, with its offset."""
    text = TEXTS[doc]
    at = text.find(snippet)
    assert at >= 0 and text.find(snippet, at + 1) < 0, (doc, snippet)
    for s, e in SPANS[doc]:
        if s <= at < e:
            assert at + len(snippet) <= e, (doc, snippet, text[s:e])
            return (SEEDS[doc].name, DATES.get(doc), text[s:e], s)
    raise AssertionError(snippet)


def news(doc: str, text: str, date: str | None = "2025-06-01", start: int = 0):
    return (doc, date, text, start)


def case(cid, question, evidence, conflicts=(), batch="tuning"):
    ev = [{"hit": i, "doc_id": d, "date": dt, "text": t, "start": s} for i, (d, dt, t, s) in enumerate(evidence, 1)]
    return {"id": cid, "batch": batch, "question": question, "evidence": ev,
            "conflicts": [{"about_contains": a, "values": list(v)} for a, v in conflicts]}


C = []
# --- the seeds: the three acceptance questions, and what must not be confused -----------------------
C.append(case("seed-diplomatic-relations", "How many countries does Vietnam have diplomatic relations with?", [
    seed("001", "established diplomatic relations with 194 countries, and set up"),
    seed("002", "diplomatic relations with more than 195 countries and territories"),
    seed("000", "diplomatic relations with 194 countries worldwide"),
    seed("000", "Three decades ago, Vietnam took its first steps"),
], [("diplomatic relations", ["194", "> 195"])]))
C.append(case("seed-comprehensive-strategic-partners", "How many comprehensive strategic partners does Vietnam have?", [
    seed("002", "bringing the total number of Comprehensive Strategic Partnerships"),
    seed("001", "established diplomatic relations with 194 countries, and set up"),
    seed("000", "comprehensive strategic partnerships with 13 countries"),
], [("comprehensive strategic", ["13", "14"])]))
C.append(case("seed-resolution-59-date", "When was Resolution 59 issued?", [
    seed("000", "the Politburo issued Resolution No. 59-NQ/TW on January 24, 2025"),
    seed("001", "The Politburo issued Resolution No. 59-NQ/TW dated January 24, 2025"),
    seed("003", "Resolution 59 is also being implemented alongside"),
    seed("002", "on December 22, 2024, the Politburo issued Resolution No. 59-NQ/TW"),
    seed("004", "prompted the Politburo to issue Resolution No.59-NQ/TW"),
], [("59", ["2025-01-24", "2024-12-22"])]))
C.append(case("seed-resolution-57-is-not-59", "When did the Politburo adopt Resolution 57?", [
    seed("001", "Resolution No. 57-NQ/TW dated December 22, 2024"),
    seed("000", "the Politburo issued Resolution No. 59-NQ/TW on January 24, 2025"),
    seed("002", "on December 22, 2024, the Politburo issued Resolution No. 59-NQ/TW"),
]))
C.append(case("seed-largest-economies", "How large is Vietnam's economy in the world?", [
    seed("002", "Vietnam has become one of the 40 largest economies in the world"),
    seed("003", "one of the world’s 32 largest economies with its economic scale expanding nearly 100 folds"),
    seed("000", "Vietnam has become one of the world’s 34 largest economies"),
], [("largest economies", ["top 40", "top 32", "top 34"])]))
C.append(case("seed-brand-rank-is-not-economy-rank", "What is Vietnam's position in the ranking of national brand values?", [
    seed("002", "ranked 32nd in the top 100 strongest national brand values"),
    seed("001", "current status as one of the world’s 34 largest economies"),
]))
C.append(case("seed-per-capita-income-agrees", "How high is per capita income in Vietnam now?", [
    seed("000", "per capita income surging from under 100 USD to nearly 5,000 USD"),
    seed("001", "with per capita income rising to nearly 5,000 USD per year"),
    seed("003", "per capita income moving from under US$100 to nearly $5,000"),
]))
C.append(case("seed-organisations-agree", "How many regional and international organisations does Vietnam belong to?", [
    seed("000", "active member of over 70 regional and international organisations"),
    seed("001", "It is now a member of over 70 regional and international organisations"),
    seed("002", "Vietnam is a member of more than 70 international organizations and forums"),
]))
C.append(case("seed-ftas-agree", "How many free trade deals has Vietnam signed?", [
    seed("001", "including 17 free trade agreements (FTAs)"),
    seed("002", "Vietnam has signed and implemented 17 free trade agreements (FTAs)"),
    seed("003", "better leverage the 17 FTAs currently in force"),
]))
C.append(case("seed-hundredfold-agrees", "How much larger is the economy today than in 1986?", [
    seed("000", "nearly 100 times larger than in 1986"),
    seed("001", "economy has grown nearly 100-fold since 1986"),
    seed("003", "expanding nearly 100-fold since 1986, and per capita income moving"),
]))
C.append(case("seed-top20-trade-agrees", "Where does Vietnam stand among the world's trading nations?", [
    seed("000", "top 20 trading economies"),
    seed("002", "among the top 20 trading countries"),
    seed("003", "top 20 countries in trade"),
]))
C.append(case("seed-34-partnerships-agree", "With how many nations has Vietnam set up strategic and comprehensive partnerships?", [
    seed("000", "diplomatic relations with 194 countries worldwide"),
    seed("001", "established diplomatic relations with 194 countries, and set up"),
    seed("000", "comprehensive strategic partnerships with 13 countries"),
]))
C.append(case("seed-trade-turnover-different-years", "What was the value of goods imports and exports in 2024?", [
    seed("002", "the total import and export turnover of goods will reach 786.29 billion USD"),
    seed("004", "record trade turnover of over 920 billion USD"),
]))
C.append(case("seed-fdi-accumulated-vs-disbursed", "How much foreign direct investment has Vietnam attracted?", [
    seed("002", "accumulated foreign direct investment (FDI) will reach over 502 billion USD"),
    seed("004", "record trade turnover of over 920 billion USD"),
]))
C.append(case("seed-key-economies-vs-trade-partners", "How many key economies do the cooperation agreements link Vietnam with?", [
    seed("000", "connected Vietnam with over 60 key economies"),
    seed("003", "trade relations with 230 economies"),
]))
C.append(case("seed-top20-investment-since-2019", "Since when has Vietnam been one of the top 20 destinations for foreign investment?", [
    seed("000", "top 20 recipients of foreign investment since 2019"),
    seed("001", "Since 2019, Vietnam has ranked among 20 countries"),
]))
C.append(case("seed-surplus-compatible", "How large was the trade surplus?", [
    seed("002", "maintain a surplus of 24.77 billion USD"),
    seed("004", "a trade surplus exceeding 21 billion USD"),
]))
C.append(case("seed-un-members-not-countries", "Does Vietnam have relations with every member of the United Nations?", [
    seed("002", "including all 193 members of the United Nations"),
]))
# --- seeds against written sources ------------------------------------------------------------------------------
C.append(case("mixed-ftas-disagree", "How many FTAs has Vietnam signed?", [
    seed("001", "including 17 free trade agreements (FTAs)"),
    news("news-trade-ministry.txt", "Vietnam has signed 19 free trade agreements (FTAs), the trade ministry said on Monday."),
], [("free trade agreements", ["17", "19"])]))
C.append(case("mixed-human-rights-terms", "How many terms has Vietnam sat on the UN Human Rights Council?", [
    seed("002", "Member of the United Nations Human Rights Council (3 terms)"),
    news("news-geneva.txt", "Vietnam has served two terms on the UN Human Rights Council since 2014."),
], [("terms", ["3", "2"])]))
C.append(case("mixed-asean-chair-agrees", "How often has Vietnam held the ASEAN chairmanship?", [
    seed("002", "Chairman of ASEAN (3 times)"),
    news("news-asean.txt", "Vietnam has chaired ASEAN three times, in 1998, 2010 and 2020."),
]))
C.append(case("mixed-brand-rank-disagrees", "What is Vietnam's position in the ranking of national brand values?", [
    seed("002", "ranked 32nd in the top 100 strongest national brand values"),
    news("news-brand-finance.txt", "Brand Finance placed Vietnam 33rd among the world's strongest national brands this year."),
], [("brand", ["32nd", "33rd"])]))
C.append(case("mixed-consecutive-surplus", "For how many years in a row has the trade balance been in surplus?", [
    seed("002", "the 9th consecutive year of trade surplus"),
    news("news-customs.txt", "Vietnam posted a trade surplus for the eighth consecutive year in 2024, customs data showed."),
], [("consecutive year", ["9th", "8th"])]))
C.append(case("mixed-doi-moi-year", "When was the Doi Moi renewal launched?", [
    seed("000", "following the launch of Doi moi (renewal) in 1986"),
    news("news-history.txt", "Vietnam launched the Doi Moi reforms in 1987, opening the economy to private business."),
], [("Doi", ["1986", "1987"])]))
C.append(case("mixed-wto-agrees", "When did Vietnam join the WTO?", [
    seed("002", "since Vietnam joined the World Trade Organization (WTO) in 2007"),
    news("news-wto.txt", "Vietnam joined the World Trade Organization on January 11, 2007, after 11 years of talks."),
]))
C.append(case("mixed-gdp-1975-agrees", "What was Vietnam's GDP in 1975?", [
    seed("001", "starting point of just 22 billion USD in combined GDP in 1975"),
    news("news-statistics.txt", "In 1975, Vietnam's GDP was estimated at about 22.3 billion USD."),
]))
C.append(case("mixed-innovating-firms", "What share of businesses should be innovating under the resolution?", [
    seed("003", "at least 40 per cent of enterprises engage in innovation"),
    news("news-resolution.txt", "The resolution aims for 30 per cent of enterprises to engage in innovation by 2030."),
], [("enterprises", [">= 40%", "30%"])]))
C.append(case("mixed-agreements-twice", "How many international agreements were signed this year?", [
    seed("003", "with the signing of over 260 international commitments and agreements so far this year"),
    news("news-diplomacy.txt", "Vietnam signed more than 260 international commitments and agreements this year, double the 2024 figure."),
]))
# --- written news: disagreements -------------------------------------------------------------------------------
C.append(case("news-bus-crash-injured", "How many people were injured in the bus crash?", [
    news("news-quangnam-a.txt", "Fourteen people were injured in the bus crash in Quang Nam province, police said."),
    news("news-quangnam-b.txt", "The bus crash in Quang Nam left 19 people injured, local media reported."),
], [("injured", ["14", "19"])]))
C.append(case("news-flood-fund", "How much did the government allocate to the flood relief fund?", [
    news("news-flood-a.txt", "The government allocated US$1.2 billion to the flood relief fund, the finance ministry said."),
    news("news-flood-b.txt", "The flood relief fund received 800 million USD from the government, officials said."),
], [("flood relief fund", ["1.2 billion USD", "800 million USD"])]))
C.append(case("news-gdp-growth", "What was Vietnam's GDP growth in 2024?", [
    news("news-gso.txt", "Vietnam's GDP grew 7.09% in 2024, the General Statistics Office said."),
    news("news-worldbank.txt", "Vietnam's GDP growth reached 6.5% in 2024, according to a World Bank estimate."),
], [("GDP", ["7.09%", "6.5%"])]))
C.append(case("news-terminal-t3-date", "When did Tan Son Nhat's Terminal T3 open?", [
    news("news-airport-a.txt", "Terminal T3 at Tan Son Nhat airport opened on April 19, 2025, easing congestion."),
    news("news-airport-b.txt", "Tan Son Nhat's Terminal T3 opened on 17/4/2025 after two years of construction."),
], [("Terminal T3", ["2025-04-19", "2025-04-17"])]))
C.append(case("news-metro-contract-date", "When was the metro line contract signed?", [
    news("news-metro-a.txt", "The contract for the metro line was signed on 12/3/2024 in Hanoi."),
    news("news-metro-b.txt", "The metro line contract was signed on March 21, 2024, the city said."),
], [("contract", ["2024-03-12", "2024-03-21"])]))
C.append(case("news-innovation-index-rank", "Where does Vietnam rank in the Global Innovation Index?", [
    news("news-wipo-a.txt", "Vietnam ranked 44th in the Global Innovation Index 2024, up two places."),
    news("news-wipo-b.txt", "In the Global Innovation Index 2024, Vietnam was placed 46th out of 133 economies."),
], [("Innovation Index", ["44th", "46th"])]))
C.append(case("news-da-nang-visitors-bound", "How many foreign visitors did Da Nang receive in 2024?", [
    news("news-danang-a.txt", "Da Nang received nearly 3 million foreign visitors in 2024, the tourism department said."),
    news("news-danang-b.txt", "Da Nang received 3.5 million foreign visitors in 2024, a record."),
], [("foreign visitors", ["nearly 3 million", "3.5 million"])]))
C.append(case("news-deal-cost", "How much did the deal cost?", [
    news("news-deal-a.txt", "The deal cost US$2.5 billion, the company said in a statement."),
    news("news-deal-b.txt", "The deal cost about $1.8 billion, according to people familiar with the matter."),
], [("USD", ["2.5 billion USD", "about 1.8 billion USD"])]))
C.append(case("news-treaty-signatories", "How many countries signed the treaty?", [
    news("news-treaty-a.txt", "The treaty was signed by 65 countries at the ceremony in Hanoi."),
    news("news-treaty-b.txt", "Sixty-two nations signed the treaty in Hanoi on Saturday."),
], [("countries", ["65", "62"])]))
C.append(case("news-metro-cost-vnd", "How much has the metro line cost?", [
    news("news-metro-c.txt", "Hanoi has spent VND 18 trillion on the Nhon–Hanoi Station metro line."),
    news("news-metro-d.txt", "The Nhon–Hanoi Station metro line has cost the city 34,800 billion dong."),
], [("VND", ["18 trillion VND", "34.8 trillion VND"])]))
C.append(case("news-typhoon-schools", "How many schools were damaged by Typhoon Yagi?", [
    news("news-yagi-a.txt", "Typhoon Yagi damaged 1,200 schools and 300 health centres in the north."),
    news("news-yagi-b.txt", "More than 2,000 schools were damaged by Typhoon Yagi, the education ministry said."),
], [("schools", ["1,200", "> 2,000"])]))
# --- written news: agreement phrased differently, different things, one source -----------------------------------
C.append(case("news-bus-crash-words-agree", "How many people were injured in the bus crash?", [
    news("news-quangnam-a.txt", "Fourteen people were injured in the bus crash in Quang Nam province, police said."),
    news("news-quangnam-c.txt", "14 people were hurt when the bus crashed in Quang Nam, officials said."),
]))
C.append(case("news-bus-crash-different-things", "How many people were injured in the bus crash?", [
    news("news-quangnam-d.txt", "The bus crash injured 14 people and killed 3."),
    news("news-quangnam-e.txt", "The bus, carrying 42 passengers, crashed into a truck near Tam Ky."),
]))
C.append(case("news-flood-fund-agree", "How much did the government allocate to the flood relief fund?", [
    news("news-flood-a.txt", "The government allocated US$1.2 billion to the flood relief fund, the finance ministry said."),
    news("news-flood-c.txt", "The government allocated 1,200 million USD to the flood relief fund on Friday."),
]))
C.append(case("news-electricity-coal-agree", "What share of electricity comes from coal?", [
    news("news-power-a.txt", "Coal accounts for nearly 50% of electricity generation, the ministry said."),
    news("news-power-b.txt", "Coal-fired plants produced 49.3 percent of the country's electricity last year."),
]))
C.append(case("news-land-law-date-formats", "When was the Land Law passed?", [
    news("news-law-a.txt", "The National Assembly passed the Land Law on 18/1/2024."),
    news("news-law-b.txt", "The Land Law was passed by the National Assembly on January 18, 2024."),
]))
C.append(case("news-factory-different-events", "When did the factory open?", [
    news("news-factory-a.txt", "Construction of the factory began on March 3, 2021."),
    news("news-factory-b.txt", "The factory opened on June 10, 2023, with 2,000 workers."),
]))
C.append(case("news-innovation-rank-in-tier", "Where does Vietnam rank in the Global Innovation Index?", [
    news("news-wipo-a.txt", "Vietnam ranked 44th in the Global Innovation Index 2024, up two places."),
    news("news-wipo-c.txt", "Vietnam is among the top 50 countries in the Global Innovation Index."),
]))
C.append(case("news-different-indexes", "Where does Thailand rank in tourism competitiveness?", [
    news("news-thai-a.txt", "Thailand ranked 47th in the World Economic Forum's travel and tourism index."),
    news("news-thai-b.txt", "Thailand ranked 30th in the ease of doing business index."),
]))
C.append(case("news-da-nang-bounds-agree", "How many foreign visitors came to Da Nang last year?", [
    news("news-danang-c.txt", "Da Nang welcomed more than 3 million foreign visitors last year."),
    news("news-danang-d.txt", "About 3.2 million foreign visitors came to Da Nang last year, the city said."),
]))
C.append(case("news-years-are-not-counts", "How many employees does the company have?", [
    news("news-firm-a.txt", "The company was founded in 2005 and has 1,200 employees."),
    news("news-firm-b.txt", "Since 2010 the company has grown to 1,200 employees."),
]))
C.append(case("news-hospitals-and-schools", "How many hospitals did the province build?", [
    news("news-province-a.txt", "The province built 12 hospitals and 40 schools in 2023."),
    news("news-province-b.txt", "In 2023 the province built 12 new hospitals, officials said."),
]))
C.append(case("news-currencies-not-compared", "How much is the project worth?", [
    news("news-project-a.txt", "The project is worth VND 20 trillion, the investor said."),
    news("news-project-b.txt", "The project is worth US$800 million, according to the investor."),
]))
C.append(case("news-deal-cost-agree", "How much did the deal cost?", [
    news("news-deal-a.txt", "The deal cost US$2.5 billion, the company said in a statement."),
    news("news-deal-c.txt", "The deal cost 2,500 million USD."),
]))
C.append(case("news-same-document-twice", "How many schools were damaged by the storm?", [
    news("news-storm-a.txt", "The storm damaged 320 schools, the ministry said."),
    news("news-storm-b.txt", "Rain continued on Tuesday."),
    news("news-storm-a.txt", "The storm damaged 350 schools across four provinces.", start=400),
]))
C.append(case("news-single-source", "How tall is the Landmark 81 tower?", [
    news("news-tower-a.txt", "The Landmark 81 tower is 461 metres tall."),
    news("news-tower-b.txt", "The tower opened in 2018 in Ho Chi Minh City."),
]))
C.append(case("news-percentage-points-vs-percent", "What was the inflation rate?", [
    news("news-cpi-a.txt", "Inflation rose 0.5 percentage points to 3.6% in December."),
    news("news-cpi-b.txt", "Inflation stood at 3.6% in December, the statistics office said."),
]))
C.append(case("news-tourists-different-years", "How many tourists visited Ha Long Bay?", [
    news("news-halong-a.txt", "Ha Long Bay welcomed 2.5 million tourists in 2023."),
    news("news-halong-b.txt", "Ha Long Bay welcomed 3.1 million tourists in 2024."),
]))
C.append(case("news-ceasefire-iso-date-agrees", "When did the ceasefire take effect?", [
    news("news-ceasefire-a.txt", "The ceasefire took effect on 2025-03-01, both sides said."),
    news("news-ceasefire-b.txt", "The ceasefire took effect on March 1, 2025."),
]))
C.append(case("news-unemployment-rounding-agrees", "What was the unemployment rate?", [
    news("news-labour-a.txt", "The unemployment rate stood at 2.24 percent in the third quarter."),
    news("news-labour-b.txt", "The unemployment rate was 2.2% in the third quarter, the GSO said."),
]))
C.append(case("news-typhoon-schools-approx-agrees", "How many schools were damaged by Typhoon Yagi?", [
    news("news-yagi-a.txt", "Typhoon Yagi damaged 1,200 schools and 300 health centres in the north."),
    news("news-yagi-c.txt", "Typhoon Yagi damaged some 1,150 schools, according to the education ministry."),
]))
C.append(case("news-exports-share-different-things", "What share of exports are manufactured goods?", [
    seed("002", "The proportion of processed and manufactured industrial products in total export turnover"),
    news("news-fdi-exports.txt", "Foreign-invested firms account for about 73% of export turnover."),
]))
C.append(case("news-floods-scope", "How many provinces were affected by the floods?", [
    news("news-floods-a.txt", "The floods affected 12 provinces in the north."),
    news("news-floods-b.txt", "The floods affected 20 provinces nationwide."),
]))

# --- held out: written after the rules were tuned on the cases above, and not tuned on --------------------------
H = "holdout"
C.append(case("holdout-hcmc-population", "How many people live in Ho Chi Minh City?", [
    news("news-hcmc-a.txt", "Ho Chi Minh City has a population of 9.4 million people, according to the 2024 census."),
    news("news-hcmc-b.txt", "Ho Chi Minh City is home to roughly 13 million residents."),
], [("", ["9.4 million", "about 13 million"])], batch=H))
C.append(case("holdout-stadium-seats", "How many seats does the new stadium have?", [
    news("news-stadium-a.txt", "The new stadium in Hanoi will have 60,000 seats."),
    news("news-stadium-b.txt", "The 50,000-seat stadium in Hanoi is due to open in 2027."),
], [("seat", ["60,000", "50,000"])], batch=H))
C.append(case("holdout-landfall-date", "When did the typhoon make landfall?", [
    news("news-kajiki-a.txt", "Typhoon Kajiki made landfall in Nghe An on August 25, 2025."),
    news("news-kajiki-b.txt", "Kajiki made landfall on 24/8/2025, bringing torrential rain."),
], [("landfall", ["2025-08-25", "2025-08-24"])], batch=H))
C.append(case("holdout-expressway-length", "What is the length of the North-South expressway?", [
    news("news-expressway-a.txt", "The North-South expressway will be 2,063 km long when completed."),
    news("news-expressway-b.txt", "When finished, the North-South expressway will stretch 3,000 km."),
], [("", ["2,063 km", "3,000 km"])], batch=H))
C.append(case("holdout-exports-2024", "How much did Vietnam's exports earn in 2024?", [
    news("news-exports-a.txt", "Vietnam's exports reached 405.5 billion USD in 2024."),
    news("news-exports-b.txt", "In 2024, Vietnam's export turnover hit US$390 billion."),
], [("", ["405.5 billion USD", "390 billion USD"])], batch=H))
C.append(case("holdout-inflation-2024", "What was the inflation rate in 2024?", [
    news("news-inflation-a.txt", "Average inflation in 2024 was 3.63 percent."),
    news("news-inflation-b.txt", "Inflation averaged 4.1% in 2024, above the target."),
], [("", ["3.63%", "4.1%"])], batch=H))
C.append(case("holdout-expressway-opening", "When was the Hanoi–Lao Cai expressway opened?", [
    news("news-laocai-a.txt", "The Hanoi–Lao Cai expressway was opened to traffic on September 21, 2014."),
    news("news-laocai-b.txt", "The expressway linking Hanoi and Lao Cai opened on 21 September 2015."),
], [("", ["2014-09-21", "2015-09-21"])], batch=H))
C.append(case("holdout-asean-members", "How many members does ASEAN have?", [
    news("news-asean-a.txt", "ASEAN now has 11 member states after Timor-Leste joined."),
    news("news-asean-b.txt", "The 10-member ASEAN bloc met in Kuala Lumpur."),
], [("", ["11", "10"])], batch=H))
C.append(case("holdout-university-rank", "What rank did the university get in the QS Asia ranking?", [
    news("news-qs-a.txt", "The university ranked 121st in the QS Asia University Rankings 2025."),
    news("news-qs-b.txt", "In the QS Asia University Rankings 2025 the university came 115th."),
], [("", ["121st", "115th"])], batch=H))
C.append(case("holdout-rice-exports-agree", "How much rice did Vietnam export in 2024?", [
    news("news-rice-a.txt", "Vietnam exported 9 million tonnes of rice in 2024."),
    news("news-rice-b.txt", "Rice exports totalled a record 9.18 million tonnes in 2024."),
], batch=H))
C.append(case("holdout-visitors-agree", "How many tourists visited Vietnam in 2024?", [
    news("news-visitors-a.txt", "Vietnam welcomed 17.6 million international visitors in 2024."),
    news("news-visitors-b.txt", "International arrivals reached nearly 17.6 million in 2024."),
], batch=H))
C.append(case("holdout-exports-vs-imports", "How much did Vietnam's exports earn in 2024?", [
    news("news-exports-a.txt", "Vietnam's exports reached 405.5 billion USD in 2024."),
    news("news-imports-a.txt", "Vietnam's imports reached 380.8 billion USD in 2024."),
], batch=H))
C.append(case("holdout-expressway-start-vs-opening", "When was the Hanoi–Lao Cai expressway opened?", [
    news("news-laocai-a.txt", "The Hanoi–Lao Cai expressway was opened to traffic on September 21, 2014."),
    news("news-laocai-c.txt", "Construction of the Hanoi–Lao Cai expressway started in 2009."),
], batch=H))
C.append(case("holdout-flood-deaths-bound", "How many people died in the floods?", [
    news("news-flood-d.txt", "The floods killed 35 people and left 12 missing."),
    news("news-flood-e.txt", "At least 30 people died in the floods, officials said."),
], batch=H))
C.append(case("holdout-core-vs-headline-inflation", "What was the inflation rate in 2024?", [
    news("news-inflation-a.txt", "Average inflation in 2024 was 3.63 percent."),
    news("news-inflation-c.txt", "Core inflation in 2024 was 2.71 percent."),
], batch=H))
C.append(case("holdout-tower-height-agrees", "How tall is the Landmark 81 tower?", [
    news("news-tower-c.txt", "Landmark 81 stands 461.2 metres tall."),
    news("news-tower-d.txt", "The 461-metre Landmark 81 is Vietnam's tallest building."),
], batch=H))
C.append(case("holdout-profit-units-agree", "How much did the company earn in profit?", [
    news("news-profit-a.txt", "The company earned a net profit of VND 2.3 trillion last year."),
    news("news-profit-b.txt", "Net profit came in at 2,300 billion dong last year."),
], batch=H))
C.append(case("holdout-population-years", "What is the population of Vietnam?", [
    news("news-pop-a.txt", "Vietnam's population passed 100 million in 2023."),
    news("news-pop-b.txt", "Vietnam had about 101 million people in 2024."),
], batch=H))
C.append(case("holdout-vaccine-donors", "How many doses of vaccine did Vietnam receive?", [
    news("news-covax.txt", "Vietnam received 30 million doses from COVAX."),
    news("news-us-doses.txt", "Vietnam received 10 million doses from the United States."),
], batch=H))
C.append(case("holdout-level-vs-change", "How much did Vietnam's exports earn in 2024?", [
    news("news-exports-a.txt", "Vietnam's exports reached 405.5 billion USD in 2024."),
    news("news-exports-c.txt", "Vietnam's exports rose 14.3% in 2024."),
], batch=H))
C.append(case("holdout-resolution-68-vs-66", "When did the Politburo issue Resolution 68?", [
    news("news-res68.txt", "The Politburo issued Resolution 68-NQ/TW on private sector development on May 4, 2025."),
    news("news-res66.txt", "Resolution 66-NQ/TW on law-making was issued on April 30, 2025."),
], batch=H))
C.append(case("holdout-votes-agree", "How many deputies voted for the law?", [
    news("news-vote-a.txt", "The law was passed with 450 of 460 deputies voting in favour."),
    news("news-vote-b.txt", "450 deputies, or 93.75 percent, voted for the law."),
], batch=H))

# --- held out again: written after all tuning above, scored once, not tuned on ----------------------------------
H2 = "holdout2"
C.append(case("holdout2-forest-hectares", "How many hectares of forest were lost?", [
    news("news-forest-a.txt", "Vietnam lost 12,000 hectares of forest last year."),
    news("news-forest-b.txt", "Forest loss reached 8,500 ha last year, the ministry said."),
], [("", ["120 km2", "85 km2"])], batch=H2))
C.append(case("holdout2-exam-candidates", "How many students sat the national exam?", [
    news("news-exam-a.txt", "More than 1.16 million candidates sat the national high school exam this year."),
    news("news-exam-b.txt", "About 1.06 million candidates sat the national high school exam this year."),
], [("", ["> 1.16 million", "about 1.06 million"])], batch=H2))
C.append(case("holdout2-bridge-opening", "When was the bridge opened to traffic?", [
    news("news-bridge-a.txt", "The My Thuan 2 bridge was opened to traffic on December 31, 2023."),
    news("news-bridge-b.txt", "My Thuan 2 bridge opened to traffic on 31/12/2024."),
], [("", ["2023-12-31", "2024-12-31"])], batch=H2))
C.append(case("holdout2-rice-price", "What was the rice export price?", [
    news("news-rice-c.txt", "Vietnam's 5% broken rice was offered at 397 USD per tonne on Thursday."),
    news("news-rice-d.txt", "Vietnam's 5% broken rice was quoted at 405 USD per tonne on Thursday."),
], [("", ["397 USD", "405 USD"])], batch=H2))
C.append(case("holdout2-evacuated", "How many people were evacuated?", [
    news("news-evac-a.txt", "Authorities evacuated 52,000 people ahead of the storm."),
    news("news-evac-b.txt", "Some 30,000 people were evacuated ahead of the storm."),
], [("", ["52,000", "about 30,000"])], batch=H2))
C.append(case("holdout2-fdi-projects", "How many FDI projects were licensed in 2024?", [
    news("news-fdi-a.txt", "Vietnam licensed 3,375 new FDI projects in 2024."),
    news("news-fdi-b.txt", "In 2024, 3,035 new foreign-invested projects were licensed."),
], [("", ["3,375", "3,035"])], batch=H2))
C.append(case("holdout2-law-effective", "When did the amended Land Law take effect?", [
    news("news-landlaw-a.txt", "The amended Land Law took effect on August 1, 2024."),
    news("news-landlaw-b.txt", "The amended Land Law came into force on January 1, 2025."),
], [("", ["2024-08-01", "2025-01-01"])], batch=H2))
C.append(case("holdout2-board-members", "How many members does the board have?", [
    news("news-board-a.txt", "The board has nine members."),
    news("news-board-b.txt", "The 11-member board approved the plan."),
], [("", ["9", "11"])], batch=H2))
C.append(case("holdout2-fifa-rank", "What rank does Vietnam hold in the FIFA rankings?", [
    news("news-fifa-a.txt", "Vietnam is ranked 113th in the FIFA world rankings."),
    news("news-fifa-b.txt", "Vietnam dropped to 116th in the latest FIFA rankings."),
], [("", ["113th", "116th"])], batch=H2))
C.append(case("holdout2-evacuated-vs-homes", "How many people were evacuated?", [
    news("news-evac-a.txt", "Authorities evacuated 52,000 people ahead of the storm."),
    news("news-evac-c.txt", "The storm destroyed 3,000 homes."),
], batch=H2))
C.append(case("holdout2-minimum-wage-agrees", "What is the minimum wage in Region I?", [
    news("news-wage-a.txt", "The minimum wage in Region I rises to VND 4.96 million a month."),
    news("news-wage-b.txt", "Region I's monthly minimum wage will be 4,960,000 dong."),
], batch=H2))
C.append(case("holdout2-revenue-vs-profit", "How much did the company earn?", [
    news("news-earn-a.txt", "The company's revenue rose 12% to 5.2 trillion dong."),
    news("news-earn-b.txt", "Its profit rose 12% to 800 billion dong."),
], batch=H2))
C.append(case("holdout2-metro-operation-vs-construction", "When did the metro line start operating?", [
    news("news-metro-e.txt", "Ho Chi Minh City's first metro line began commercial operation on December 22, 2024."),
    news("news-metro-f.txt", "Construction of the metro line began in 2012."),
], batch=H2))
C.append(case("holdout2-storeys-floors", "How tall is the Bitexco tower?", [
    news("news-bitexco-a.txt", "The 68-storey Bitexco tower is 262 metres tall."),
    news("news-bitexco-b.txt", "Bitexco Financial Tower has 68 floors."),
], batch=H2))
C.append(case("holdout2-hanoi-population-years", "What is the population of Hanoi?", [
    news("news-hanoi-a.txt", "Hanoi's population reached 8.6 million in 2024."),
    news("news-hanoi-b.txt", "Hanoi had about 8.5 million residents in 2023."),
], batch=H2))
C.append(case("holdout2-coffee-agrees", "How many tonnes of coffee did Vietnam export?", [
    news("news-coffee-a.txt", "Vietnam exported 1.35 million tonnes of coffee in 2024."),
    news("news-coffee-b.txt", "Coffee exports fell 17% to 1.35 million tonnes."),
], batch=H2))
C.append(case("holdout2-tet-days-agree", "How many days of holiday do workers get for Tet?", [
    news("news-tet-a.txt", "Workers will get nine days off for Tet."),
    news("news-tet-b.txt", "Civil servants will have a nine-day Tet holiday."),
], batch=H2))
C.append(case("holdout2-signed-vs-effect", "When was the EVFTA signed?", [
    news("news-evfta-a.txt", "The EVFTA was signed on June 30, 2019."),
    news("news-evfta-b.txt", "The EVFTA took effect on August 1, 2020."),
], batch=H2))
C.append(case("holdout2-gdp-quarter-agrees", "How much did GDP grow in the first quarter?", [
    news("news-q1-a.txt", "GDP grew 6.93% in the first quarter."),
    news("news-q1-b.txt", "GDP grew 6.93 percent in the first quarter, the fastest in five years."),
], batch=H2))

if __name__ == "__main__":
    out = ROOT / "tests" / "data" / "conflicts.jsonl"
    out.parent.mkdir(exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        for c in C:
            f.write(json.dumps(c, ensure_ascii=False) + "\n")
    n_conf = sum(bool(c["conflicts"]) for c in C)
    print(f"{len(C)} cases, {n_conf} with a conflict, {len(C) - n_conf} without")
