import json, os, tomllib
from collections import Counter
BASE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(BASE)
ORDER = ["greeting","acknowledgement","apology","cause","responsibility","fix","deadline","compensation","prevention","closing"]

EN = {
"001": dict(greeting="Hi Anna", acknowledgement="some invoices went out with the wrong VAT rate", apology="Sorry about that", fix="we'll send you corrected ones", closing="– Tom"),
"003": dict(fix="Fixed in 4.2.3", deadline="Fixed in 4.2.3", prevention="We've added a regression test for this case"),
"004": dict(greeting="Hello Mr. Varga", acknowledgement="Three of the 40 chargers in your last shipment fail under load", cause="we shipped them from a batch that should have been held back for re-testing", responsibility="That is our mistake.", fix="we'll ship three of the current model (CX-65)", deadline="on Monday 12 May by express", compensation="We'll also credit the three faulty units in full (€267.00) on your next invoice", prevention="We've added a batch check to our dispatch process", closing="call me directly on +36 1 555 0142"),
"005": dict(acknowledgement="has been down since 07:40", cause="one of our fibre cables was cut during our own maintenance work", responsibility="during our own maintenance work", fix="Engineers are splicing it now", deadline="we expect service back by 16:00 today", compensation="will get a one-day credit on their next bill"),
"006": dict(greeting="Hi!!", apology="So sorry!!!", fix="We'll sort this out ASAP"),
"007": dict(greeting="Hi Sarah", fix="The replacement for order [order number] was dispatched today", deadline="will arrive by Thursday", closing="Thanks for getting in touch."),
"008": dict(greeting="Hi Carla", acknowledgement="You were charged twice for the April plan", cause="because our payment retry fired after the first charge had already gone through", responsibility="our payment retry fired after the first charge had already gone through", fix="I refunded the second $14.00 this morning", deadline="this morning", compensation="added a free month to your account for the trouble", prevention="We've changed the retry so it checks for a completed payment first", closing="reply here and it comes straight to me"),
"009": dict(greeting="Hi Tom", acknowledgement="The grey marks on the sole", cause="come from the rubber we use", fix="I'll arrange a free return the same day", deadline="the same day", closing="thanks for the photos"),
"010": dict(acknowledgement="the order got cancelled by itself", cause="it was a system glitch", closing="^Ray"),
"011": dict(fix="We're looking into the charge on your account and will get back to you"),
"013": dict(greeting="Hi Kate", acknowledgement="your sofa came with a torn cushion cover", apology="I'm sorry", fix="A new cover is being made to order", deadline="will be delivered on 22 May", compensation="I've refunded 15% of the sofa price (£134.85)", closing="— Rachel"),
"014": dict(greeting="Hi Marta", acknowledgement="your shop sold 23 orders at the old rates yesterday", cause="our nightly sync overwrote your price list with last month's prices", responsibility="our nightly sync overwrote your price list", fix="That bug is fixed", deadline="as of 10:30 today", prevention="the sync now runs a diff check first", closing="— Viktor"),
"016": dict(greeting="Hi Carl", apology="we regret that you were disappointed with your stay"),
"017": dict(acknowledgement="the error on your invoice", apology="we apologize for the error on your invoice", fix="A corrected invoice is attached", deadline="the overcharge of $37.50 has been credited to your account"),
"018": dict(greeting="Hi Ruth", acknowledgement="we charged you the peak fare for an off-peak ticket", responsibility="That was our mistake", cause="the fares on the machines at Ashby were set up wrong", fix="we've now corrected them", deadline="we've now corrected them", closing="^Nat"),
"019": dict(apology="I'm really sorry about the wait", fix="I've escalated this to our returns team and they'll process your refund", closing="Thanks again for bearing with us"),
"020": dict(acknowledgement="Your order was delayed", cause="due to our courier partner, who has had capacity issues this week", fix="It should be with you shortly"),
"021": dict(acknowledgement="the 9:30 pickup slot you were offered shouldn't have been bookable", cause="That store closes at 9pm on Sundays", fix="I've moved your order to Monday 10:00", deadline="Monday 10:00", compensation="taken the £3.50 click-and-collect fee off", closing="^Zoe"),
"022": dict(greeting="Hi Greg", apology="sorry if the new layout is confusing"),
"023": dict(apology="We're sorry"),
"025": dict(greeting="Hello", acknowledgement="the incorrect meter reading on your March bill", apology="Greenway Energy apologizes", fix="A revised bill for £78.10 (instead of £212.40) will be emailed to you", deadline="by 12 April"),
"026": dict(greeting="Hello Ms Ford", acknowledgement="Our technician was booked for Tuesday morning and didn't turn up", cause="because we'd given him two jobs at the same time", responsibility="That's our scheduling error", fix="I've rebooked the visit", deadline="Friday 9 May, 8:00 to 10:00", prevention="I've also changed how our scheduling tool checks for clashes", closing="Owen"),
"027": dict(cause="the discount doesn't apply to items already on sale", closing="^Kim"),
"028": dict(apology="We're sorry to hear you're disappointed with the seat", cause="Seats on basic fares are allocated at random"),
"029": dict(fix="I'll open a lost-item case with you tonight", deadline="tonight", closing="DM me"),
"031": dict(greeting="Hi Laura", acknowledgement="your booking confirmation never arrived", apology="I'm so sorry", fix="I've resent it just now", deadline="just now", closing="Pieter"),
"032": dict(greeting="Hi <name>", fix="A replacement blender has been dispatched", deadline="will arrive on Monday"),
"033": dict(greeting="Hi Dmitri", acknowledgement="so no courier came", apology="I'm sorry", cause="we booked your pickup for the 14th instead of the 4th", responsibility="we booked your pickup for the 14th instead of the 4th", fix="It's now booked for tomorrow", deadline="tomorrow, 8 March, between 9:00 and 13:00", compensation="the £4.95 label fee has been refunded to your card", closing="Thanks,\nAoife"),
"034": dict(greeting="Hi Oliver", acknowledgement="the 3 deleted boards", fix="I've restored the 3 deleted boards from last night's backup", deadline="they're back in your workspace now", closing="– Sam"),
"035": dict(acknowledgement="online banking is currently unavailable", apology="We apologize for any inconvenience caused", fix="We are working to restore service"),
"036": dict(acknowledgement="deliveries in your area are suspended", cause="Due to extreme weather conditions", fix="Orders will be delivered once conditions improve"),
"037": dict(greeting="Hi Mr. Okafor", acknowledgement="Your standing desk arrived with the left leg motor missing", responsibility="That was our packing mistake", cause="that box was never added to your order", fix="The motor left Leeds this morning with DPD", deadline="will be delivered tomorrow before 12:00", compensation="I've also refunded your £25 delivery charge", prevention="We now check every multi-box order against a box count before it's sealed", closing="call me directly on 0113 496 0321"),
"038": dict(acknowledgement="It missed the connection", cause="because we loaded it on the later flight", responsibility="we loaded it on the later flight", fix="our courier will drop it at your hotel", deadline="before midnight", compensation="You can claim up to €50 a day for essentials", closing="^Ciara"),
"039": dict(acknowledgement="the iOS 17.2 login loop", fix="version 6.3.2 with the fix went live on the App Store", deadline="this morning"),
"040": dict(greeting="Hi Peter", acknowledgement="the item you ordered is no longer in stock", fix="Your payment of $89.00 was refunded in full today", deadline="refunded in full today"),
"041": dict(greeting="Hi Lucy", acknowledgement="the £120 payment to your landlord is held", cause="because it's your first payment over £100 to a new payee", fix="It'll be released", deadline="by 15:00 today", closing="^Tom"),
"042": dict(greeting="Hi Mark", fix="I've refunded your delivery fee", deadline="I've refunded your delivery fee", compensation="I've refunded your delivery fee", prevention="spoken to the team that packed your order", closing="Thanks, Lily"),
"044": dict(fix="our engineers are on it", closing="thanks Nadia"),
"045": dict(greeting="Dear Customer", acknowledgement="the delay in processing your warranty claim", apology="Please accept our sincere apologies", fix="The claim is now with our technical department and you will hear from us", deadline="by 28 February"),
"046": dict(greeting="Hi Zoe", apology="apologies if this caused any confusion", cause="The promo ended on 31 Jan"),
"047": dict(cause="The store team should have checked your plan before selling you that SIM", closing="DM us"),
"048": dict(acknowledgement="this crash on Android 14", fix="a fix will land in an upcoming release", closing="Thanks"),
"049": dict(apology="So sorry", fix="The right jumper goes out today", deadline="goes out today", compensation="with free express delivery"),
"050": dict(greeting="Hi Sunil", cause="you should have selected 'Gift wrap' at checkout", closing="Regards, Amy"),
"051": dict(greeting="Dear valued customer", acknowledgement="we are currently experiencing an outage affecting mobile data in your area", fix="Our engineers are working to restore service"),
"052": dict(greeting="Hi Maria", cause="the agent mentioned the $60 early-exit fee on both", fix="I can split it across your next three bills at no extra cost", deadline="I'll set it up today", closing="Just reply \"split\""),
"053": dict(acknowledgement="the duplicate listing", fix="we've removed the duplicate listing", deadline="we've removed the duplicate listing", closing="thanks for letting us know"),
"055": dict(apology="We're so sorry", closing="Please DM us"),
"056": dict(greeting="Hi Mr. Lee", acknowledgement="the duplicate direct debit", fix="the duplicate direct debit was reversed today", deadline="was reversed today", prevention="I've added a note so our system blocks duplicate collections", closing="Regards, Farah"),
"057": dict(greeting="Dear guest", acknowledgement="the breakfast room was closed without notice on 4 August", apology="the administration regrets", fix="Breakfast vouchers for the remaining 2 nights of your stay are waiting for you at reception", deadline="are waiting for you at reception", compensation="Breakfast vouchers for the remaining 2 nights of your stay"),
"058": dict(cause="the password reset link expires after 15 minutes", fix="I've sent you a new one", deadline="I've sent you a new one"),
"059": dict(acknowledgement="That's not the jacket you ordered", responsibility="that's on us", cause="we picked the size M from the shelf next to yours", fix="I've sent the L out by express today", deadline="today", compensation="there's no need to send the M back. Keep it or pass it on."),
"060": dict(fix="I've passed it to the station manager at Kings Lynn and I'll come back to you", deadline="by 5pm tomorrow", closing="Thanks Jo"),
"062": dict(cause="Banks usually take up to 5 business days to show it", fix="The refund of $42.18 has actually already been issued", deadline="it left us on March 3", closing="-Dana"),
"063": dict(greeting="Hi Naomi", acknowledgement="flight NL442 to Porto is delayed by 2h40m", cause="because the inbound aircraft needed a brake replacement in Lyon", compensation="You're entitled to a €15 meal voucher"),
"064": dict(acknowledgement="the docs example is wrong", fix="I've fixed the page in a3f9e2c", deadline="it's live on the docs site now", closing="Thanks for catching it!"),
"065": dict(fix="Your replacement card was posted today", deadline="should reach you by Wednesday", closing="Thanks for waiting"),
"066": dict(greeting="Hi Leo", acknowledgement="we cancelled your flight to Malaga with only two hours' notice", apology="I'm sorry", cause="That was our crew scheduling mistake", responsibility="That was our crew scheduling mistake", fix="I've rebooked you on tomorrow's 07:15 departure", deadline="tomorrow's 07:15 departure", closing="^Mia"),
"067": dict(greeting="Hi [customer name]", fix="we've located your parcel at the depot and it's out for delivery", deadline="out for delivery today"),
"068": dict(apology="Sorry for the late reply", cause="We're experiencing a high volume of messages right now", fix="Your refund was approved", deadline="within 5-7 business days", closing="^Meg"),
"069": dict(cause="we stopped escaping the path before passing it to the shell", responsibility="we stopped escaping the path", fix="The fix is in #2231 and ships in 3.4.1", deadline="Thursday 14 Nov", closing="Thanks for the detailed repro"),
"070": dict(fix="the fix landed yesterday in v2.9.0", deadline="landed yesterday", closing="Reopen if you still see the warning"),
"071": dict(fix="THE APP IS WORKING NOW", deadline="THE APP IS WORKING NOW"),
"072": dict(apology="We apologize for any inconvenience", closing="Please DM us your order number"),
"073": dict(greeting="Hi Priya", acknowledgement="the duplicate subscription", fix="I've cancelled the duplicate subscription and refunded the second charge of €9.99 to your card", deadline="done", closing="Thanks for flagging it"),
"074": dict(greeting="Hi Daniel", fix="Your repaired laptop will be shipped back to you", closing="thank you for your patience and understanding"),
"075": dict(fix="is being processed"),
"076": dict(acknowledgement="the closure of the pool on Saturday", apology="The management apologizes", fix="It reopened on Sunday morning", deadline="It reopened on Sunday morning"),
"077": dict(acknowledgement="about 8% of API requests to our EU region returned 502 errors", cause="a configuration change we deployed to our load balancers", responsibility="a configuration change we deployed", fix="we rolled it back at 09:58", deadline="at 09:58", compensation="Business-plan customers will see a service credit on their next invoice"),
"078": dict(greeting="Dear {{first_name}}", fix="We have refunded the full amount to your original payment method today", deadline="today", closing="Thank you for contacting us"),
"079": dict(cause="it's an upstream issue in OpenSSL 3.0"),
"080": dict(greeting="Hi Aidan", acknowledgement="your account has been restricted", cause="pending verification", fix="the restriction is lifted", deadline="within 24 hours"),
}

RU = {
"001": dict(greeting="Здравствуйте!", fix="по нему я найду посылку", deadline="в течение часа", closing="отвечу в этом чате"),
"002": dict(apology="Извините, если вас задел наш ответ"),
"003": dict(greeting="Здравствуйте!", cause="из-за настроек экрана", fix="возврат бесплатный", prevention="мы пересняли этот оттенок при дневном свете"),
"005": dict(greeting="Добрый день.", acknowledgement="в описании ошибка: объём чайника 1,5 л, а не 1,7 л", fix="Описание уже исправили", deadline="уже исправили", compensation="вернём 200 ₽ в качестве компенсации", closing="Напишите в чат"),
"006": dict(),
"007": dict(fix="Мы обязательно разберёмся с браком", closing="СПАСИБО ЗА ОТЗЫВ"),
"008": dict(greeting="Добрый день.", acknowledgement="Задержка доставки", cause="по вине транспортной компании", fix="Заказ будет доставлен"),
"009": dict(greeting="Здравствуйте, Ольга.", fix="Возврат 2 450 ₽ уже оформлен", deadline="сегодня в 11:20"),
"010": dict(acknowledgement="за грубость кассира", apology="приносит извинения", prevention="С сотрудником поговорили."),
"011": dict(apology="Приносим извинения, если доставка показалась вам долгой", cause="сроки указаны в карточке товара, их нужно учитывать при заказе"),
"012": dict(greeting="Добрый день!", cause="Эта модель маломерит примерно на размер", fix="Обмен и обратная доставка для вас бесплатные", deadline="деньги вернутся в тот же день", prevention="мы добавили это в описание карточки", closing="Спасибо за отзыв."),
"014": dict(greeting="Здравствуйте.", acknowledgement="посылка вернулась на склад", cause="Вы сами указали неверный адрес"),
"016": dict(acknowledgement="Трещина на крышке", cause="упаковка была слишком тонкой", responsibility="появилась ещё у нас на складе", fix="новую крышку пришлём бесплатно", deadline="до 5 ноября", compensation="Мы вернули вам 30% стоимости (540 ₽) на карту", prevention="Коробки для стеклянной посуды уже заменили на более плотные", closing="Спасибо за подробный отзыв и фото."),
"017": dict(greeting="Здравствуйте, Лариса.", acknowledgement="Комиссию 350 ₽ за перевод списали по ошибке", cause="Ошибку в настройках тарифа", fix="Ошибку в настройках тарифа мы нашли и исправили", deadline="мы нашли и исправили"),
"018": dict(greeting="Здравствуйте, Максим.", acknowledgement="Мы выставили вам счёт за 12 лицензий вместо 10", apology="Простите, пожалуйста, за путаницу со счётом", responsibility="это наша ошибка", fix="Исправленный счёт на 10 лицензий во вложении", deadline="старый аннулирован", closing="спасибо за внимательность"),
"019": dict(greeting="Добрый день.", fix="откроем поиск второго пакета вместе с пунктом", deadline="сегодня же", closing="напишите номер заказа в чат"),
"020": dict(greeting="Здравствуйте.", acknowledgement="недовложение", apology="Приносим извинения за недовложение", fix="Недостающий товар будет вам отправлен дополнительно"),
"021": dict(greeting="Добрый день.", acknowledgement="Курьер не приехал", cause="потому что логисты постоянно срывают сроки", fix="Доставку перенесли на завтра", deadline="на завтра, с 10 до 14"),
"022": dict(greeting="Добрый день", apology="приносим извинения за задержку", closing="благодарим за терпение"),
"023": dict(fix="мы уже чиним"),
"024": dict(greeting="Здравствуйте, Павел.", fix="Деньги за отменённый заказ вернём, заявку на возврат я уже создал"),
"025": dict(greeting="Здравствуйте!", acknowledgement="доставка задерживается", cause="Из-за сильного снегопада", fix="Привезём, как только дороги расчистят"),
"026": dict(greeting="Добрый день, <имя>!", apology="Примите наши извинения за задержку ответа", fix="пароль сброшен, новый отправлен в SMS", deadline="Ваша заявка №{{ticket_id}} решена"),
"027": dict(greeting="Здравствуйте."),
"028": dict(greeting="Добрый день!", apology="Приносим свои извенения"),
"029": dict(greeting="Добрый день, Алина.", fix="Исправим"),
"031": dict(acknowledgement="ваша посылка была повреждена нами при перевозке", apology="сожалеет", responsibility="была повреждена нами", prevention="Водитель, который грузил посылку, отстранён от рейсов"),
"034": dict(greeting="Добрый день.", apology="Тысяча извинений", responsibility="мы так виноваты перед вами", fix="Заказ отправим завтра", deadline="завтра до 12:00"),
"035": dict(greeting="Здравствуйте!", cause="Скидка по промокоду не суммируется с акцией «3 по цене 2»", fix="оформлю заказ с той скидкой, которая выгоднее для вас"),
"037": dict(greeting="Добрый день!", acknowledgement="Чехол подходит к iPhone 15, но не к 15 Pro", cause="у них разные блоки камер", fix="возврат бесплатный", prevention="Теперь мы указали это прямо в названии карточки", closing="Благодарим за отзыв."),
"038": dict(acknowledgement="четыре дня без новостей", cause="Заказ пролежал у нас на сборке дольше положенного", responsibility="это наш недосмотр", fix="Сегодня он уехал", deadline="доставка 11 апреля", compensation="Стоимость доставки вернули вам на карту"),
"039": dict(greeting="Здравствуйте.", acknowledgement="Сегодня с 9:15 в Октябрьском районе нет интернета", cause="во время плановых работ наша бригада повредила кабель", responsibility="наша бригада повредила кабель", fix="Ремонт закончим", deadline="до 17:00", compensation="автоматически начислим бесплатные сутки"),
"041": dict(greeting="Добрый день, Наталья.", acknowledgement="Разошедшийся шов", cause="это брак пошива", responsibility="отвечаем за него мы", fix="вернуть 4 800 ₽ в течение суток после того, как вы сдадите платье в пункт выдачи", deadline="в течение суток", compensation="дарим промокод на 500 ₽ на следующую покупку", closing="Спасибо, что прислали фото платья."),
"042": dict(greeting="Здравствуйте.", fix="ваша заявка на возврат денежных средств находится на стадии рассмотрения", deadline="до 10 рабочих дней"),
"045": dict(greeting="Здравствуйте, Игорь.", acknowledgement="Кофемолка сломалась на гарантии", responsibility="значит, отвечаем мы", fix="вернём полную стоимость, 5 990 ₽, или бесплатно заменим на более новую KM-32", deadline="в течение дня", compensation="она дороже на 1 500 ₽, доплачивать не нужно", closing="Напишите, что выбираете"),
"046": dict(fix="Фикс уже в master, релиз 0.9.4 будет в понедельник", deadline="в понедельник"),
"047": dict(fix="Баг исправили в 2.3.1", deadline="Баг исправили в 2.3.1", prevention="добавили автотест"),
"049": dict(greeting="Уважаемый клиент", acknowledgement="доставка в ваш регион временно приостановлена", fix="Возобновление доставки будет осуществлено"),
"050": dict(greeting="Здравствуйте, Елена Викторовна!", acknowledgement="14 марта мы дважды списали с вашей карты оплату за тариф «Бизнес», 3 400 ₽ два раза", responsibility="Это наша ошибка", cause="после обновления платёжный модуль повторял списание, если банк отвечал медленно", fix="Лишние 3 400 ₽ мы вернули сегодня", deadline="мы вернули сегодня", compensation="мы бесплатно продлили ваш тариф на месяц", prevention="теперь перед повторным списанием он проверяет, не прошла ли первая оплата", closing="просто ответьте на это письмо, оно придёт мне"),
"051": dict(greeting="Здравствуйте, Марина!", acknowledgement="в коробке не оказалось зарядного блока", apology="Простите", cause="мы неправильно собрали комплект", responsibility="мы неправильно собрали комплект", fix="Блок отправили вам сегодня отдельной посылкой", deadline="приедет к 12 числу", compensation="кабель Type-C в подарок за ожидание"),
"052": dict(greeting="Здравствуйте, Георгий.", acknowledgement="отключили вам интернет на три дня, хотя оплата за месяц поступила вовремя", responsibility="мы по ошибке отключили вам интернет", cause="ошибку в автоматическом отключении", fix="Доступ восстановили сегодня в 10:15", deadline="сегодня в 10:15", prevention="ошибку в автоматическом отключении исправили"),
"054": dict(apology="Жаль, что вы так это восприняли"),
"055": dict(greeting="Здравствуйте, Анна.", acknowledgement="Вчера мы не успели собрать ваш заказ", cause="на вечернюю смену на складе не хватило упаковщиков", responsibility="это наша ошибка в планировании", fix="Заказ уже собран и уедет к вам сегодня", deadline="курьер привезёт его до 18:00", compensation="Стоимость доставки (299 ₽) я вернул на карту", closing="напишите мне сюда, я на связи до 21:00"),
"056": dict(greeting="Добрый день!", fix="Новый комплект постельного белья отправили сегодня", deadline="отправили сегодня", compensation="промокод на 15% уже в личном кабинете"),
"057": dict(greeting="Добрый день.", fix="Мастер перезвонит вам"),
"058": dict(greeting="Здравствуйте, Вера.", acknowledgement="мы отправили вам не тот цвет", responsibility="мы отправили вам не тот цвет", cause="перепутали артикулы при сборке", fix="Правильный плед отправили сегодня", deadline="привезут в четверг"),
"059": dict(greeting="Добрый день.", acknowledgement="шов на рукаве", cause="это декоративная отстрочка, а не брак", fix="примем без вопросов"),
"060": dict(greeting="Добрый день.", acknowledgement="дал вам неверную информацию", cause="Оператор колл-центра дал вам неверную информацию, это не наш отдел"),
"061": dict(greeting="Добрый день!", closing="Спасибо, что остаётесь с нами"),
"062": dict(),
"063": dict(greeting="Здравствуйте!", cause="при оплате при получении доставка идёт дольше"),
"064": dict(greeting="Здравствуйте.", apology="Сожалеем, что у вас сложилось такое впечатление"),
"065": dict(greeting="Добрый день!", fix="Специалист свяжется с вами"),
"067": dict(fix="бот снова отвечает, перезапустили в 14:05", deadline="перезапустили в 14:05"),
"069": dict(greeting="Здравствуйте!", acknowledgement="ошибку в чеке", apology="приносим извинения за ошибку в чеке", fix="Исправленный чек отправили вам на почту", deadline="отправили вам на почту", closing="благодарим вас за отзыв"),
"070": dict(cause="проблема в API Яндекс.Карт — они поменяли формат ответа"),
"071": dict(fix="теперь всё должно работать", deadline="теперь всё должно работать"),
"072": dict(greeting="Здравствуйте, Кирилл.", acknowledgement="Рейс ЮТ-318 задерживается на 3 часа", cause="на самолёте меняют колесо после жёсткой посадки в Казани", compensation="ваучер на 700 ₽"),
"073": dict(greeting="Здравствуйте, Роман.", acknowledgement="Перевод 15 000 ₽ задержан на проверку", cause="это первый перевод новому получателю на такую сумму", fix="после этого деньги уйдут автоматически", deadline="сегодня до 18:00"),
"074": dict(acknowledgement="Ошибка в парсере дат", cause="мы не учитывали часовой пояс +05:30", responsibility="мы не учитывали часовой пояс", fix="Исправление в #418, выпустим в версии 1.8.2", deadline="в пятницу, 21 марта", closing="Спасибо за подробный отчёт."),
"075": dict(cause="проверьте своё подключение к интернету"),
"076": dict(greeting="Уважаемая Ирина Павловна!", apology="приносит вам свои извинения", fix="повторный выезд мастера для замены котла назначен", deadline="на 18 ноября, с 10:00 до 13:00", compensation="Стоимость первого выезда (2 500 ₽) будет возвращена на ваш счёт"),
"077": dict(apology="Нам очень жаль"),
"078": dict(fix="Поправим в одном из следующих релизов", closing="Спасибо"),
}

errors = []
summary = {}
for lang, labels in (("en", EN), ("ru", RU)):
    texts = {}
    for l in open(os.path.join(SRC, f"{lang}.jsonl"), encoding="utf-8"):
        d = json.loads(l); texts[d["id"]] = d["text"]
    os.makedirs(os.path.join(BASE, lang), exist_ok=True)
    out = []
    cnt = Counter()
    for num in sorted(labels):
        did = f"fresh-{lang}-{num}"
        text = texts[did]
        ev = labels[num]
        for p, ph in ev.items():
            if p not in ORDER: errors.append((did, "bad part", p))
            if ph not in text: errors.append((did, p, ph))
        if "deadline" in ev and "fix" not in ev: errors.append((did, "deadline without fix"))
        with open(os.path.join(BASE, lang, f"{did}.txt"), "w", encoding="utf-8", newline="") as f:
            f.write(text)
        parts = [p for p in ORDER if p in ev]
        cnt.update(parts)
        out.append("[[draft]]")
        out.append(f"file = {json.dumps(f'{lang}/{did}.txt', ensure_ascii=False)}")
        out.append("complaint = true")
        out.append("parts = [" + ", ".join(json.dumps(p) for p in parts) + "]")
        out.append("evidence = { " + ", ".join(f"{p} = {json.dumps(ev[p], ensure_ascii=False)}" for p in parts) + " }")
        out.append("")
    tp = os.path.join(BASE, f"{lang}.toml")
    with open(tp, "w", encoding="utf-8") as f:
        f.write("\n".join(out))
    data = tomllib.load(open(tp, "rb"))
    assert len(data["draft"]) == len(labels)
    for dr in data["draft"]:
        t = open(os.path.join(BASE, dr["file"]), encoding="utf-8", newline="").read()
        for p, ph in dr["evidence"].items():
            assert ph in t, (dr["file"], p)
        assert sorted(dr["parts"]) == sorted(dr["evidence"])
    summary[lang] = (len(labels), cnt)
print("ERRORS:", errors)
for lang, (n, cnt) in summary.items():
    print(lang, n, {p: cnt[p] for p in ORDER})
