"""A realistic demo organisation: a restaurant and retail group with stores in several cities
and an online flagship store, its departments (seed 001's names), and one login per role."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from pingjia.accounts import services
from pingjia.accounts.models import Organisation, User
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


@transaction.atomic
def demo_load() -> bool:
    """Load the demo organisation; False (and nothing changed) when it is already there."""
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
    return True
