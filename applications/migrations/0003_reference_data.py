"""Categories (stable CONTRACT codes) and document types are reference data every installation needs."""

from django.db import migrations

DOCUMENT_TYPES = [
    # code, required for all, kk, ru, en
    ("identity_document", True, "Жеке басын куәландыратын құжат", "Документ, удостоверяющий личность", "Identity document"),
    ("address_registration", True, "Мекенжай бойынша тіркеу туралы анықтама", "Справка о регистрации по месту жительства", "Address registration certificate"),
    ("no_housing_certificate", True, "Тұрғын үйдің жоқтығы туралы анықтама", "Справка об отсутствии жилья", "Certificate of no owned housing"),
    ("category_certificate", False, "Әлеуметтік санатты растайтын анықтама", "Справка, подтверждающая социальную категорию", "Certificate confirming the social category"),
    ("employer_certificate", False, "Жұмыс берушінің анықтамасы", "Справка с места работы", "Employer's certificate"),
    ("medical_certificate", False, "Ауыр созылмалы ауру туралы медициналық анықтама", "Медицинская справка о тяжёлой хронической болезни", "Medical certificate of a severe chronic disease"),
    ("emergency_conclusion", False, "Сарапшының техникалық қорытындысы (апатты тұрғын үй)", "Техническое заключение эксперта (аварийное жильё)", "Expert's technical conclusion (emergency dwelling)"),
    ("orphan_certificate", False, "Жетім балалар мәртебесін растайтын құжат", "Документ, подтверждающий статус сироты", "Document confirming orphan status"),
    ("family_recognition", False, "Отбасы мүшесі деп тану туралы әкімдік анықтамасы", "Справка акимата о признании членом семьи", "Akimat certificate recognising family members"),
]

CATEGORIES = [
    # code, group, extra document, kk, ru, en
    ("WWII_VETERAN", "SOCIALLY_VULNERABLE", "category_certificate", "Ұлы Отан соғысының ардагерлері", "Ветераны Великой Отечественной войны", "WWII veterans and disabled veterans"),
    ("WWII_EQUIVALENT", "SOCIALLY_VULNERABLE", "category_certificate", "Соғыс ардагерлеріне теңестірілген адамдар", "Лица, приравненные к ветеранам войны", "Persons equal to WWII veterans"),
    ("DISABLED_1_2", "SOCIALLY_VULNERABLE", "category_certificate", "1 және 2 топтағы мүгедектігі бар адамдар", "Лица с инвалидностью 1 и 2 групп", "Disabled persons of groups 1 and 2"),
    ("FAMILY_DISABLED_CHILD", "SOCIALLY_VULNERABLE", "category_certificate", "Мүгедек балалары бар отбасылар", "Семьи, имеющие или воспитывающие детей с инвалидностью", "Families with disabled children"),
    ("SEVERE_CHRONIC_ILLNESS", "SOCIALLY_VULNERABLE", "medical_certificate", "Созылмалы аурулардың ауыр түрлерімен ауыратын адамдар", "Лица, страдающие тяжёлыми формами хронических заболеваний", "Persons with severe chronic diseases"),
    ("PENSIONER", "SOCIALLY_VULNERABLE", "category_certificate", "Жасына байланысты зейнеткерлер", "Пенсионеры по возрасту", "Old-age pensioners"),
    ("ORPHAN", "ORPHANS", "orphan_certificate", "Жетім балалар және ата-анасының қамқорлығынсыз қалған балалар", "Дети-сироты и дети, оставшиеся без попечения родителей", "Orphans and children left without parental care"),
    ("KANDAS", "SOCIALLY_VULNERABLE", "category_certificate", "Қандастар", "Кандасы", "Kandas (ethnic Kazakh repatriates)"),
    ("EMERGENCY_VICTIM", "SOCIALLY_VULNERABLE", "category_certificate", "Төтенше жағдайларда тұрғын үйінен айырылған адамдар", "Лица, лишившиеся жилища в результате чрезвычайных ситуаций", "Persons who lost their dwelling in emergencies"),
    ("LARGE_FAMILY", "SOCIALLY_VULNERABLE", "category_certificate", "Көп балалы отбасылар", "Многодетные семьи", "Large families"),
    ("FAMILY_OF_FALLEN", "SOCIALLY_VULNERABLE", "category_certificate", "Қаза тапқандардың отбасылары", "Семьи погибших при исполнении долга", "Families of persons who died on duty"),
    ("SINGLE_PARENT", "SOCIALLY_VULNERABLE", "category_certificate", "Толық емес отбасылар", "Неполные семьи", "Single-parent families"),
    ("LOW_INCOME", "SOCIALLY_VULNERABLE", "category_certificate", "Аз қамтылған отбасылар", "Малообеспеченные семьи", "Low-income families"),
    ("CIVIL_SERVANT", "CIVIL_SERVANTS", "employer_certificate", "Мемлекеттік қызметшілер", "Государственные служащие", "Civil servants"),
    ("BUDGET_EMPLOYEE", "CIVIL_SERVANTS", "employer_certificate", "Бюджеттік ұйымдардың қызметкерлері", "Работники бюджетных организаций", "Employees of budget organisations"),
    ("MILITARY", "CIVIL_SERVANTS", "employer_certificate", "Әскери қызметшілер", "Военнослужащие", "Military servicemen"),
    ("ELECTED_OFFICIAL", "CIVIL_SERVANTS", "employer_certificate", "Мемлекеттік сайланбалы лауазым атқаратын адамдар", "Лица, занимающие выборные государственные должности", "Persons holding elected state office"),
    ("EMERGENCY_DWELLING", "EMERGENCY", "emergency_conclusion", "Жалғыз тұрғын үйі апатты деп танылған азаматтар", "Граждане, единственное жильё которых признано аварийным", "Citizens whose only dwelling is in emergency condition"),
]


def load(apps, schema_editor):
    DocumentType = apps.get_model("applications", "DocumentType")
    Category = apps.get_model("applications", "Category")
    types = {}
    for order, (code, for_all, kk, ru, en) in enumerate(DOCUMENT_TYPES):
        types[code], _ = DocumentType.objects.update_or_create(
            code=code, defaults={"required_for_all": for_all, "ordering": order, "name_kk": kk, "name_ru": ru, "name_en": en}
        )
    for order, (code, group, extra, kk, ru, en) in enumerate(CATEGORIES):
        category, _ = Category.objects.update_or_create(
            code=code, defaults={"group": group, "ordering": order, "name_kk": kk, "name_ru": ru, "name_en": en}
        )
        category.required_documents.set([types[extra]])


class Migration(migrations.Migration):
    dependencies = [("applications", "0002_queue_key_immutable")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
