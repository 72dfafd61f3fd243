#!/usr/bin/env python3
"""Generate the Salesforce export that tests/import.rs imports.

    python3 scripts/gen-salesforce-export.py [FOLDER] [--opportunities N]

Writes Opportunity.csv, Account.csv, Contact.csv and OpportunityContactRole.csv into
FOLDER (default tests/fixtures/import/salesforce) the way Salesforce's weekly Data Export
writes them: API field names, every cell quoted, CRLF line ends, 18-character ids with
their case-safe suffix, true/false flags, ISO time stamps, and the standard picklists
(StageName with its Probability and ForecastCategoryName, contact roles, Type,
LeadSource). The data is made up but shaped like a real key-account org: English and
Chinese accounts, several currencies, multi-line descriptions with quotes and commas,
descriptions that carry the objections and buying signals the coach reads, contacts with
several roles on one deal, two namesakes on one deal, a few deleted records.

Deterministic (fixed seed, no clock): running it again gives the same bytes, so the
committed files can be checked against it. Standard library only.

--opportunities N (default 320, the fixture) makes a larger export of the same shape,
for timing an import: `--opportunities 10000` is a big org's year of deals.
"""

import argparse

import csv
import datetime
import os
import random

SEED = 18
EXPORT_DAY = datetime.datetime(2026, 11, 18, 9, 12, 44)
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

# The standard StageName picklist: (stage, probability, forecast category, closed, won).
STAGES = [
    ("Prospecting", 10, "Pipeline", False, False),
    ("Qualification", 10, "Pipeline", False, False),
    ("Needs Analysis", 20, "Pipeline", False, False),
    ("Value Proposition", 50, "Pipeline", False, False),
    ("Id. Decision Makers", 60, "Pipeline", False, False),
    ("Perception Analysis", 70, "Pipeline", False, False),
    ("Proposal/Price Quote", 75, "Pipeline", False, False),
    ("Negotiation/Review", 90, "Commit", False, False),
    ("Closed Won", 100, "Closed", True, True),
    ("Closed Lost", 0, "Omitted", True, False),
]
STAGE_WEIGHTS = [8, 8, 10, 10, 8, 6, 12, 10, 16, 12]
ROLES = ["Business User", "Decision Maker", "Economic Buyer", "Economic Decision Maker",
         "Evaluator", "Executive Sponsor", "Influencer", "Technical Buyer", "Other"]
TYPES = ["New Customer", "Existing Customer - Upgrade", "Existing Customer - Replacement",
         "Existing Customer - Downgrade"]
LEAD_SOURCES = ["Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other"]
INDUSTRIES = ["Banking", "Manufacturing", "Energy", "Retail", "Healthcare", "Transportation"]

EN_ACCOUNTS = [
    "Pearl River Bank", "Northwind Logistics", "Helios Energy", "Sunrise Retail Group",
    "Nova Fintech", "Granite Manufacturing", "BlueHarbor Health", "Atlas Rail",
    "Meridian Insurance", "Cobalt Mining", "Evergreen Foods", "Summit Telecom",
    "Orion Aerospace", "Lakeside Hospital Group", "Vertex Chemicals", "Crescent Airlines",
    "Redwood Paper", "Silverline Shipping", "Aurora Pharma", "Keystone Utilities",
    "Harbor Point Realty", "Falcon Automotive", "Ironclad Steel", "Cascade Water",
    "Beacon Credit Union", "Pinnacle Hotels", "Westbrook University", "Trident Defense",
    "Maple Leaf Dairy", "Horizon Solar", "Quantum Semiconductors", "Riverbend Textiles",
]
ZH_ACCOUNTS = [
    "锦绣纺织", "华东电网", "长江航运", "东方制药", "西北风电", "南山钢铁", "金桥银行",
    "海鸥家电", "天府物流", "星河零售", "北辰化工", "蓝海证券", "瑞丰食品", "中原汽车",
    "云岭烟草", "青松医院", "鸿运港务", "明珠酒店", "恒信保险", "启航教育", "安泰建设",
    "九州通信", "紫金矿业", "万象地产",
]
EN_PRODUCTS = ["core banking upgrade", "ERP rollout", "plant monitoring", "CRM replacement",
               "data platform", "fleet telematics", "payroll cloud", "risk engine",
               "warehouse automation", "customer portal", "SCADA refresh", "e-invoicing"]
ZH_PRODUCTS = ["ERP 项目", "生产监控系统", "CRM 替换", "数据中台", "智慧仓储", "风控平台",
               "财务共享中心", "设备运维平台", "电子发票", "客户门户"]

EN_FIRST = ["Emily", "James", "Olivia", "Daniel", "Sophia", "Michael", "Ava", "Lucas",
            "Mia", "Ethan", "Grace", "Noah", "Chloe", "Liam", "Hannah", "Wei", "Priya",
            "Carlos", "Anna", "Kenji"]
EN_LAST = ["Chen", "Smith", "Garcia", "Khan", "Novak", "Horvat", "Okafor", "Rossi",
           "Müller", "O'Brien", "Tanaka", "Johnson", "Silva", "Petrov", "Nguyen", "Wang"]
EN_TITLES = ["CEO", "CFO", "CIO", "CTO", "IT Director", "Procurement Manager",
             "Operations Lead", "Project Manager", "Head of Finance", "Plant Manager",
             "Solution Architect", "VP Operations"]
ZH_LAST = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱"]
ZH_FIRST = ["建国", "丽", "伟", "敏", "静", "强", "磊", "洋", "艳", "军", "杰", "娟", "涛", "明"]
ZH_TITLES = ["总经理", "财务总监", "IT总监", "采购经理", "运维工程师", "副总裁", "信息中心主任",
             "生产部长", "项目经理", "董事长"]

EN_NOTES = [
    "Replacing the legacy system across three sites. Budget approved in Q3.",
    "CFO said there is no budget left this year; revisit in Q1.",
    "IT director agreed to set up a technical workshop with their architects next week.",
    "They don't need a new system right now, the current one is good enough.",
    "Procurement is not in a hurry; the project may slip to next year.",
    "Our champion offered to introduce us to the CEO.",
    "Customer doesn't trust a new vendor for a core system.",
    "Demo went well; they asked for a proposal by the end of the month.",
    "Met the operations team.\nThey asked about \"uptime, SLAs\" and pricing, per seat.\nFollow up with references.",
    "Incumbent vendor is offering a 20% discount to keep the account.",
    "Security review passed. Legal is reviewing the MSA, redlines expected next week.",
    "",
]
ZH_NOTES = [
    "李总说今年预算已经用完了，明年再看。",
    "王工同意下周安排技术交流会。",
    "客户表示目前系统够用，暂时不需要换。",
    "采购部说不着急，明年再说。",
    "张经理答应引荐给他们的总经理。",
    "对外部厂商不太放心，担心项目交付。",
    "方案演示效果不错，客户要求月底前提交报价。",
    "已完成三次拜访。\n客户关注\"数据迁移\"和上线周期，希望分期实施。",
    "",
]
EN_NEXT = ["Tech workshop with IT on 2026-12-05", "Send proposal to the CFO by 2026-12-10",
           "Reference visit, Dec 3", "Call procurement next week", "Board meeting 2027-01-15", ""]
ZH_NEXT = ["2026年12月5日 技术交流会", "12月10日前提交方案", "安排参观样板客户", "下周电话采购部", ""]


def case_safe(id15):
    """Salesforce's 18-character id: three letters that record which characters of each
    five are upper case, so the id survives case-insensitive tools."""
    suffix = ""
    for chunk in range(3):
        flags = 0
        for position, character in enumerate(id15[chunk * 5:chunk * 5 + 5]):
            if "A" <= character <= "Z":
                flags |= 1 << position
        suffix += "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"[flags]
    return id15 + suffix


class Ids:
    def __init__(self, rng):
        self.rng = rng
        self.seen = set()

    def new(self, prefix):
        while True:
            tail = "".join(self.rng.choice(BASE62) for _ in range(6))
            id15 = prefix + "Dn0000" + tail
            if id15.lower() not in self.seen:
                self.seen.add(id15.lower())
                return case_safe(id15)


def stamp(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def day(moment):
    return moment.strftime("%Y-%m-%d")


def write(folder, name, header, rows):
    with open(os.path.join(folder, name), "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(column, "") for column in header])


def main():
    parser = argparse.ArgumentParser(description="Generate a Salesforce export.")
    parser.add_argument("folder", nargs="?", default="tests/fixtures/import/salesforce")
    parser.add_argument("--opportunities", type=int, default=320, metavar="N")
    arguments = parser.parse_args()
    folder = arguments.folder
    os.makedirs(folder, exist_ok=True)
    rng = random.Random(SEED)
    ids = Ids(rng)
    owners = [ids.new("005") for _ in range(6)]
    creator = owners[0]

    def past(days_max, days_min=0):
        return EXPORT_DAY - datetime.timedelta(days=rng.randint(days_min, days_max),
                                               minutes=rng.randint(0, 600))

    accounts, contacts = [], []
    people_of = {}
    for index, name in enumerate(EN_ACCOUNTS + ZH_ACCOUNTS):
        chinese = index >= len(EN_ACCOUNTS)
        account_id = ids.new("001")
        created = past(900, 200)
        modified = past(120)
        accounts.append({
            "Id": account_id, "IsDeleted": "false", "Name": name,
            "Type": rng.choice(["Customer - Direct", "Customer - Channel", "Prospect"]),
            "BillingCity": rng.choice(["上海", "北京", "深圳", "成都"]) if chinese
            else rng.choice(["Singapore", "London", "Chicago", "Sydney"]),
            "BillingCountry": "China" if chinese else rng.choice(["Singapore", "UK", "USA", "Australia"]),
            "Industry": rng.choice(INDUSTRIES),
            "AnnualRevenue": str(rng.randint(50, 5000) * 1000000),
            "NumberOfEmployees": str(rng.randint(200, 40000)),
            "OwnerId": rng.choice(owners), "CreatedDate": stamp(created), "CreatedById": creator,
            "LastModifiedDate": stamp(modified), "LastModifiedById": creator,
            "SystemModstamp": stamp(modified),
            "CurrencyIsoCode": "CNY" if chinese else rng.choice(["USD", "USD", "EUR", "SGD"]),
        })
        people = []
        for _ in range(rng.randint(3, 7)):
            contact_id = ids.new("003")
            if chinese:
                first, last, title = rng.choice(ZH_FIRST), rng.choice(ZH_LAST), rng.choice(ZH_TITLES)
            else:
                first, last, title = rng.choice(EN_FIRST), rng.choice(EN_LAST), rng.choice(EN_TITLES)
            touched = past(90) if rng.random() < 0.7 else None
            contacts.append({
                "Id": contact_id, "IsDeleted": "false", "AccountId": account_id,
                "LastName": last, "FirstName": first,
                "Salutation": "" if chinese else rng.choice(["Mr.", "Ms.", "Dr.", ""]),
                "Title": title if rng.random() < 0.9 else "",
                "Department": "", "Email": f"{contact_id[-6:].lower()}@example.com",
                "Phone": f"+86 21 5{rng.randint(1000000, 9999999)}" if chinese
                else f"+1 312 555 {rng.randint(1000, 9999)}",
                "OwnerId": rng.choice(owners), "CreatedDate": stamp(past(700, 100)),
                "LastModifiedDate": stamp(past(100)), "SystemModstamp": stamp(past(100)),
                "LastActivityDate": day(touched) if touched else "",
            })
            people.append(contact_id)
        people_of[account_id] = (people, chinese)
    # Two namesakes at one account, to be told apart by title on the deals they share.
    namesake_account = accounts[2]["Id"]
    for title in ["CFO", "IT Manager"]:
        contact_id = ids.new("003")
        contacts.append({
            "Id": contact_id, "IsDeleted": "false", "AccountId": namesake_account,
            "LastName": "Wang", "FirstName": "Wei", "Salutation": "Mr.", "Title": title,
            "Email": f"{contact_id[-6:].lower()}@example.com", "OwnerId": owners[1],
            "CreatedDate": stamp(past(500, 100)), "LastModifiedDate": stamp(past(60)),
            "SystemModstamp": stamp(past(60)), "LastActivityDate": day(past(30)),
        })
        people_of[namesake_account][0].insert(0, contact_id)
    # A deleted contact, as the export lists it.
    contacts.append({"Id": ids.new("003"), "IsDeleted": "true", "AccountId": accounts[0]["Id"],
                     "LastName": "Former", "FirstName": "Employee", "Title": "Ex-CIO",
                     "CreatedDate": stamp(past(900, 500)), "LastModifiedDate": stamp(past(300, 200)),
                     "SystemModstamp": stamp(past(300, 200))})

    opportunities, roles = [], []
    for number in range(arguments.opportunities):
        account = accounts[number % len(accounts)] if number < 260 else rng.choice(accounts)
        people, chinese = people_of[account["Id"]]
        stage, probability, forecast, closed, won = rng.choices(STAGES, STAGE_WEIGHTS)[0]
        created = past(400, 30)
        if closed:
            close = EXPORT_DAY - datetime.timedelta(days=rng.randint(1, 200))
        else:
            close = EXPORT_DAY + datetime.timedelta(days=rng.randint(-20, 240))
        amount = rng.choice([rng.randint(5, 500) * 10000, rng.randint(50, 5000) * 1000])
        amount_cell = "" if rng.random() < 0.04 else (f"{amount}.00" if rng.random() < 0.5 else str(amount))
        modified = past(45) if number != 7 else EXPORT_DAY
        touched = past(75) if rng.random() < 0.75 else None
        notes = ZH_NOTES if chinese else EN_NOTES
        next_steps = ZH_NEXT if chinese else EN_NEXT
        product = rng.choice(ZH_PRODUCTS if chinese else EN_PRODUCTS)
        name = f"{account['Name']} {product}" if chinese else f"{account['Name']} – {product}"
        opportunity_id = ids.new("006")
        opportunities.append({
            "Id": opportunity_id, "IsDeleted": "true" if number in (40, 211) else "false",
            "AccountId": account["Id"], "IsPrivate": "false", "Name": name,
            "Description": rng.choice(notes), "StageName": stage, "Amount": amount_cell,
            "Probability": str(probability),
            "ExpectedRevenue": f"{amount * probability / 100:.2f}" if amount_cell else "",
            "CloseDate": day(close), "Type": rng.choice(TYPES),
            "NextStep": "" if closed else rng.choice(next_steps),
            "LeadSource": rng.choice(LEAD_SOURCES),
            "IsClosed": "true" if closed else "false", "IsWon": "true" if won else "false",
            "ForecastCategory": {"Pipeline": "Pipeline", "Commit": "Forecast", "Closed": "Closed",
                                 "Omitted": "Omitted"}[forecast],
            "ForecastCategoryName": forecast,
            "CurrencyIsoCode": account["CurrencyIsoCode"],
            "HasOpportunityLineItem": "false", "OwnerId": rng.choice(owners),
            "CreatedDate": stamp(created), "CreatedById": creator,
            "LastModifiedDate": stamp(modified), "LastModifiedById": rng.choice(owners),
            "SystemModstamp": stamp(modified),
            "LastActivityDate": day(touched) if touched else "",
            "FiscalQuarter": str((close.month - 1) // 3 + 1), "FiscalYear": str(close.year),
            "Fiscal": f"{close.year} {(close.month - 1) // 3 + 1}",
            "HasOpenActivity": "true" if rng.random() < 0.3 else "false",
            "HasOverdueTask": "false",
        })
        # Contact roles: none on a few deals, up to five on others; the namesakes share
        # the account's first deals; one contact sometimes holds two roles.
        count = 0 if rng.random() < 0.1 else rng.randint(1, min(5, len(people)))
        chosen = people[:2] if account["Id"] == namesake_account and number < 40 else []
        chosen += [p for p in rng.sample(people, count) if p not in chosen]
        primary = rng.choice(chosen) if chosen and rng.random() < 0.75 else None
        for contact_id in chosen:
            role = rng.choice(ROLES)
            if contact_id == primary:
                role = rng.choice(["Economic Buyer", "Economic Buyer", "Decision Maker",
                                   "Decision Maker", "Business User", "Technical Buyer"])
            entries = [role]
            if rng.random() < 0.08:
                entries.append(rng.choice(ROLES))
            if rng.random() < 0.05:
                entries.append("")
            for entry_role in entries:
                moment = past(60)
                roles.append({
                    "Id": ids.new("00K"), "OpportunityId": opportunity_id, "ContactId": contact_id,
                    "Role": entry_role,
                    "IsPrimary": "true" if contact_id == primary and entry_role == role else "false",
                    "CreatedDate": stamp(moment), "CreatedById": creator,
                    "LastModifiedDate": stamp(moment), "LastModifiedById": creator,
                    "SystemModstamp": stamp(moment), "IsDeleted": "false",
                })

    write(folder, "Account.csv",
          ["Id", "IsDeleted", "MasterRecordId", "Name", "Type", "ParentId", "BillingStreet",
           "BillingCity", "BillingState", "BillingPostalCode", "BillingCountry", "Phone",
           "Website", "Industry", "AnnualRevenue", "NumberOfEmployees", "OwnerId",
           "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById",
           "SystemModstamp", "LastActivityDate", "CurrencyIsoCode"], accounts)
    write(folder, "Contact.csv",
          ["Id", "IsDeleted", "MasterRecordId", "AccountId", "LastName", "FirstName",
           "Salutation", "Title", "Department", "Email", "Phone", "MailingCity", "OwnerId",
           "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById",
           "SystemModstamp", "LastActivityDate"], contacts)
    write(folder, "Opportunity.csv",
          ["Id", "IsDeleted", "AccountId", "RecordTypeId", "IsPrivate", "Name", "Description",
           "StageName", "Amount", "Probability", "ExpectedRevenue", "TotalOpportunityQuantity",
           "CloseDate", "Type", "NextStep", "LeadSource", "IsClosed", "IsWon",
           "ForecastCategory", "ForecastCategoryName", "CurrencyIsoCode", "CampaignId",
           "HasOpportunityLineItem", "Pricebook2Id", "OwnerId", "CreatedDate", "CreatedById",
           "LastModifiedDate", "LastModifiedById", "SystemModstamp", "LastActivityDate",
           "FiscalQuarter", "FiscalYear", "Fiscal", "HasOpenActivity", "HasOverdueTask"],
          opportunities)
    write(folder, "OpportunityContactRole.csv",
          ["Id", "OpportunityId", "ContactId", "Role", "IsPrimary", "CreatedDate",
           "CreatedById", "LastModifiedDate", "LastModifiedById", "SystemModstamp",
           "IsDeleted"], roles)
    print(f"{folder}: {len(opportunities)} opportunities, {len(accounts)} accounts, "
          f"{len(contacts)} contacts, {len(roles)} contact roles")


if __name__ == "__main__":
    main()
