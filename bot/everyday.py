"""Everyday words: what people write instead of a command word, in both languages.

Phrases are lower-case, without punctuation, as `bot.reading` compares them (it also reads
"what's" as "what is" and "how's" as "how is" before comparing the questions below).
"""

from __future__ import annotations

# A greeting is greeted back in kind, with one line pointing to `help`; the value is the reply's
# catalogue key (`greet_KIND`).
GREETINGS: dict[str, str] = {
    **dict.fromkeys(
        ("hi", "hello", "hey", "hiya", "hi there", "hello there", "hey there", "hi all",
         "שלום", "היי", "הי", "הלו", "אהלן", "שלום לך", "שלום רב"),
        "hello",
    ),
    **dict.fromkeys(("good morning", "morning", "בוקר טוב"), "morning"),
    **dict.fromkeys(("good afternoon", "צהריים טובים", "צהרים טובים"), "afternoon"),
    **dict.fromkeys(("good evening", "ערב טוב"), "evening"),
    **dict.fromkeys(("good night", "night", "לילה טוב"), "night"),
    **dict.fromkeys(
        ("bye", "goodbye", "good bye", "bye bye", "bye for now", "see you", "see you later",
         "see you tomorrow", "talk later", "talk to you later", "later",
         "להתראות", "ביי", "ביביי", "ביי ביי", "נתראה", "נתראה מחר", "נדבר", "נדבר מחר"),
        "bye",
    ),
    **dict.fromkeys(
        ("how are you", "how are you doing", "how is it going", "how is everything",
         "how are things", "how are things going",
         "what is up", "wassup", "sup",
         "מה שלומך", "מה שלומכם", "מה נשמע", "מה קורה", "מה המצב", "מה העניינים", "מה איתך"),
        "well",
    ),
}  # fmt: skip
# Greetings that end a conversation: answered in kind, without a pointer to help.
FAREWELLS = frozenset({"bye", "night"})
# Thanks are answered with a short "you're welcome", not "I did not understand".
THANKS = frozenset({
    "thanks", "thank you", "thanks a lot", "thank you very much", "thank you so much",
    "many thanks", "thanks so much", "thx", "ty", "cheers",
    "תודה", "תודה רבה", "תודה לך", "תודה רבה לך", "תודה רבה רבה", "תנקס",
})  # fmt: skip
# "Wait", "רגע": a teacher asked to hold on mid-interview, which is no answer to the question.
HOLD_ON = frozenset({
    "wait", "wait a sec", "wait a second", "wait a minute", "one moment", "one sec", "a sec",
    "one second", "just a moment", "just a sec", "just a second", "hold on", "hang on", "hmm",
    "hmmm", "um", "umm", "let me think", "give me a moment", "give me a minute",
    "רגע", "רק רגע", "רגע אחד", "שנייה", "שניה", "רק שנייה", "רק שניה", "חכה", "חכי", "רגע רגע",
    "המממ", "הממ", "אממ", "אמממ", "תן לי לחשוב", "תני לי לחשוב", "אני חושב", "אני חושבת",
})  # fmt: skip
# Asking what the bot does is asking for help: the person's command list, not "I did not
# understand" before it (the did-you-mean button itself says "מה אפשר לעשות").
HELP_PHRASES = frozenset({
    "what can i do", "what can you do", "what do i do", "what do i do now", "how does this work",
    "how do i use this", "commands", "menu",
    "מה אפשר לעשות", "מה ניתן לעשות", "מה אני יכול לעשות", "מה אני יכולה לעשות",
    "מה אתה יכול לעשות", "מה את יכולה לעשות", "מה אתה יודע לעשות", "מה את יודעת לעשות",
    "איך זה עובד", "איך משתמשים", "פקודות", "תפריט",
})  # fmt: skip
# Asking for the question again ("what was the question?") mid-interview is not an answer: the
# question is asked again, as `resume` does, and nothing is stored.
QUESTION_AGAIN = frozenset({
    "what was the question", "what's the question", "whats the question", "what is the question",
    "what did you ask", "repeat the question", "repeat", "say again", "say that again",
    "sorry what was the question", "i didn't understand the question",
    "i did not understand the question",
    "מה השאלה", "מה הייתה השאלה", "מה היתה השאלה", "מה שאלת", "מה שאלת אותי",
    "תחזור על השאלה", "תחזרי על השאלה", "חזור על השאלה", "חזרי על השאלה",
    "אפשר לחזור על השאלה", "לא הבנתי את השאלה", "לא הבנתי מה השאלה",
})  # fmt: skip
# Words around "flagged" when people ask for the list ("which analyses are flagged?", "any
# flagged students?", "יש תלמידים מסומנים?"): with only these around it, the message is `flagged`.
ASKING_FLAGGED = frozenset(
    """which what who are is was were there any anything analyses analysis students student kids
    the show me
    list of all do we have new now today right for review something
    איזה אילו מה מי יש ניתוחים הניתוחים תלמידים התלמידים ילדים את כל חדשים עכשיו כרגע היום
    לבדיקה עוד משהו""".split()
)
# "Flagged" as people write it in a question, besides the command's own words (`מסומנים`).
FLAGGED_FORMS = frozenset({"סומנו", "שסומנו", "מסומן", "מסומנת", "מסומנות"})
# What people write to stop an interview or to say they have said enough, in their own words.
# Read only in an interview, and only asked about there (bot/meant.command_in_answer).
INTENTS: dict[str, frozenset[str]] = {
    "cancel": frozenset({
        "stop", "quit", "exit", "abort", "never mind", "nevermind", "forget it", "cancel this",
        "cancel it", "cancel the analysis", "cancel the interview", "i want to cancel",
        "stop the analysis", "stop the interview",
        "עצור", "עצרי", "די", "לא משנה", "עזוב", "עזבי", "בטל את זה", "בטלי את זה",
        "בטל את הניתוח", "בטלי את הניתוח", "אני רוצה לבטל", "לבטל", "לבטל את הניתוח",
    }),
    "finish": frozenset({
        "done", "i'm done", "im done", "i am done", "that's all", "thats all", "that is all",
        "that's it", "thats it", "nothing else", "nothing more", "enough", "finished",
        "זהו", "זה הכל", "זה הכול", "סיימנו", "אין עוד", "אין לי עוד מה להוסיף", "מספיק",
    }),
}  # fmt: skip
# Said around a request to cancel ("oops, cancel", "wait, stop", "סליחה, בטל", "cancel please"):
# the message is still only that request. Not "no"/"לא" ("לא לבטל" is "do not cancel"), and
# nothing that is a word of an answer after the request ("די טוב" is "quite good").
CANCEL_BEFORE = frozenset({
    "oops", "whoops", "oh", "ah", "uh", "sorry", "actually", "wait", "hmm", "um", "ok", "okay",
    "please", "just", "hey", "so",
    "אופס", "אוי", "אה", "סליחה", "רגע", "בעצם", "טוב", "אוקיי", "אוקי", "בבקשה", "נו", "אז",
})  # fmt: skip
CANCEL_AFTER = frozenset({"please", "pls", "plz", "now", "thanks", "בבקשה", "עכשיו", "תודה"})
# A cancel request is a few words; a longer message that uses the word is an answer.
CANCEL_WORDS = 5
# What people write when a draft looks right to them, in the review ("looks good", "זהו",
# "בסדר"): the draft is not saved on these, but they are asked whether to save it.
APPROVING = frozenset({
    "ok", "okay", "k", "yes", "yep", "yeah", "fine", "good", "great", "perfect", "looks good",
    "looks fine", "looks great", "all good", "sounds good", "that's fine", "thats fine",
    "כן", "בסדר", "בסדר גמור", "טוב", "מעולה", "יופי", "סבבה", "אוקיי", "אוקי", "נראה טוב",
    "נראה מצוין", "מצוין", "מושלם", "זה נראה טוב", "זה נראה מצוין", "זה בסדר", "זה טוב",
    "זה מצוין", "זה מושלם",
})  # fmt: skip
# Questions about the school as a whole (a period may follow): its summary, for those who may
# ask for one. How all the teachers or students are doing is the same summary: it lists the
# teachers' analyses and each grade's and class's coverage (there is no per-teacher list).
ABOUT_THE_SCHOOL = frozenset({
    "what is going on in the school", "what is happening in the school",
    "what is new in the school", "how is the school doing", "how is the school",
    "how is school", "how is school going",
    "how is the school going", "how are things in the school", "how are we doing",
    "how are my teachers doing", "how are the teachers doing", "how are my teachers",
    "how are the teachers", "how are my students doing", "how are the students doing",
    "how are the students",
    # ...and of a past period ("how was the school doing last term?")
    "what was going on in the school", "what was happening in the school",
    "how was the school doing", "how was the school", "how was school", "how did the school do",
    "how did we do",
    "how were my teachers doing", "how were the teachers doing", "how were the students doing",
    "מה קורה בבית הספר", "מה המצב בבית הספר", "מה נשמע בבית הספר", "מה חדש בבית הספר",
    "איך בית הספר", "איך הולך בבית הספר", "מה שלום בית הספר", "מה מצב בית הספר",
    "מה שלום המורים", "מה שלום המורים שלי", "איך המורים", "מה עם המורים", "איך המורים שלי",
    "מה שלום התלמידים", "איך התלמידים", "מה שלום התלמידים שלי", "איך התלמידים שלי",
    "how are my students", "how were my students doing",
    "מה מצב התלמידים שלי", "איך הולך לתלמידים שלי",
    # Which teachers analyse most: the summary's analyses per teacher, busiest first.
    "who are the most active teachers", "which teachers are the most active",
    "which teachers are most active", "who are the busiest teachers",
    "which teachers did the most analyses", "who did the most analyses",
    "which teachers are using it", "who is using it", "which teachers use the bot",
    "מי המורים הכי פעילים", "מי המורים הפעילים", "אילו מורים הכי פעילים",
    "איזה מורים הכי פעילים", "מי עשה הכי הרבה ניתוחים", "אילו מורים עשו הכי הרבה ניתוחים",
    "מי משתמש בבוט", "אילו מורים משתמשים בבוט", "מי מהמורים משתמש בבוט",
    "who is the busiest teacher", "who is the most active teacher",
    "which teacher is the most active", "which teacher is most active",
    "which teacher did the most analyses",
    "מי המורה הכי פעיל", "מי המורה הכי פעילה", "מי המורה הכי עסוק", "מי המורה הכי עסוקה",
    "איזה מורה הכי פעיל", "איזו מורה הכי פעילה",
    # How many students have no analysis yet: each grade's and class's coverage.
    *(f"how many students {verb}{yet}"
      for verb in ("have no analysis", "have no analyses", "have not been analyzed",
                   "have not been analysed", "were not analyzed", "were not analysed",
                   "are not analyzed", "still have no analysis", "do not have an analysis",
                   "don't have an analysis", "dont have an analysis", "have no analysis at all")
      for yet in ("", " yet")),
    *(f"{how} {verb}"
      for how in ("כמה תלמידים", "כמה מהתלמידים")
      for verb in ("עוד לא נותחו", "לא נותחו", "עדיין לא נותחו", "בלי ניתוח", "ללא ניתוח",
                   "אין להם ניתוח", "עוד אין להם ניתוח", "עדיין אין להם ניתוח")),
})  # fmt: skip
# Of those, the ones about the students: a teacher, who has no summary, gets their students'
# list and where each one's analyses are (`students` with `HOW_THEY_DO`).
ABOUT_THE_STUDENTS = frozenset(
    p for p in ABOUT_THE_SCHOOL if "students" in p.split() or "התלמידים" in p.split()
)
# The same question about a period, which the words name ("how was this week?", "מה היה בחודש
# שעבר?"): only with a period said, since alone they ask about nothing in particular.
ABOUT_A_PERIOD = frozenset({
    "how was", "how was it", "how did it go", "how did we do", "how did we do in",
    "what happened", "what happened in", "what was new", "what is new",
    "איך היה", "מה היה", "איך הלך", "מה קרה", "מה היה לנו", "איך עבר", "מה חדש",
})  # fmt: skip
# The school as people name it inside those questions, read as the phrase the table uses.
SCHOOL_SAID = {
    ("at", "school"): ("in", "the", "school"), ("in", "school"): ("in", "the", "school"),
    ("at", "the", "school"): ("in", "the", "school"),
    ("בבית", "ספר"): ("בבית", "הספר"), ("בבית-ספר",): ("בבית", "הספר"),
    ("בביה״ס",): ("בבית", "הספר"), ('בביה"ס',): ("בבית", "הספר"),
    ("ביה״ס",): ("בית", "הספר"), ('ביה"ס',): ("בית", "הספר"),
}  # fmt: skip
# Questions about a grade, a class, a teacher or a student by its scope word ("how are things in
# grade 5?", "מה המצב בשכבה 5?", "איך כיתה ה'1?", "מה קורה אצל המורה דנה?"): that scope's
# summary. Only with a scope word after them (`SCOPE_LEADS` and Hebrew's glued ב may come
# between): alone, "מה המצב" is small talk.
ABOUT_A_SCOPE: tuple[tuple[str, ...], ...] = tuple(tuple(p.split()) for p in (
    "how are things", "how is it going", "how is everything", "how are we doing",
    "what is going on", "what is happening", "what is new", "what is up", "how was it",
    "what was going on", "what happened", "how did it go",
    "מה המצב", "מה מצב", "מה קורה", "מה נשמע", "מה חדש", "מה שלום", "מה העניינים", "מה היה",
    "מה קרה", "איך", "איך הולך", "איך היה", "איך הלך", "איך עבר",
))  # fmt: skip
# A teacher's people, named as theirs ("Dana's students", "הכיתות של דנה"): the teacher's
# summary, which covers their classes and students.
TEACHERS_PEOPLE_EN = frozenset("students pupils kids children class classes".split())
TEACHERS_PEOPLE_HE = frozenset("התלמידים הילדים הכיתות הכיתה".split())
# Words between such a question and its scope word ("in grade 5", "עם המורה דנה").
SCOPE_LEADS = frozenset("in at with for of on about עם אצל של לגבי".split())
# An admin's lists asked for by name alone ("users", "show me the schools", "רשימת משתמשים"):
# the admin command that lists them (read-only), as `admin users` would run it. Request words
# (`bot.phrasing.LEADING`) may stand before the name.
ADMIN_LISTS = {
    "users": "users", "staff": "users", "accounts": "users", "schools": "schools",
    "quotas": "quotas", "usage": "usage",
    "משתמשים": "users", "המשתמשים": "users", "צוות": "users", "הצוות": "users",
    "בתי ספר": "schools", "בתי הספר": "schools", "מכסות": "quotas", "המכסות": "quotas",
    "שימוש": "usage",
}  # fmt: skip
# A student's past analyses asked for in words: what stands before the name ("analyses of
# Shira", "הניתוחים של שירה"), and what follows a name with 's ("Shira's analyses").
HISTORY_BEFORE: tuple[tuple[str, ...], ...] = tuple(tuple(p.split()) for p in (
    "analyses of", "past analyses of", "previous analyses of", "earlier analyses of",
    "analyses for", "the history of", "what did i write about", "what have i written about",
    "ניתוחים של", "הניתוחים של", "ניתוחים קודמים של", "הניתוחים הקודמים של", "ההיסטוריה של",
    "ניתוחים על", "הניתוחים על", "מה כתבתי על",
))  # fmt: skip
HISTORY_AFTER: tuple[tuple[str, ...], ...] = tuple(tuple(p.split()) for p in (
    "analyses", "past analyses", "previous analyses", "history", "analysis history",
))  # fmt: skip
# Wanting to talk about a student is wanting to analyze one (an interview is that talk): what
# stands before the student ("I want to talk about ...", "אני רוצה לדבר על ..."), after the
# request words.
TALK_ABOUT: tuple[tuple[str, ...], ...] = tuple(sorted({
    *(tuple(f"{verb} {about}".split())
      for verb in ("talk", "talk to you", "talk with you", "speak", "chat", "tell you",
                   "we talk", "we speak")
      for about in ("about", "to you about")),
    ("discuss",), ("we", "discuss"), ("consult", "about"),
    *(tuple(f"{verb} {about}".split())
      for verb in ("לדבר", "לדבר איתך", "לספר", "לספר לך", "לשוחח", "להתייעץ", "נדבר", "נשוחח",
                   "רציתי לדבר", "רציתי לספר", "רציתי להתייעץ")
      for about in ("על", "לגבי")),
}, key=len, reverse=True))  # fmt: skip
# A student not yet named ("a student", "one of my students", "תלמידה"): `analyze` asks whom,
# as it does alone; a name may follow a naming word ("a student named Noa", "תלמיד בשם נועם").
SOMEONE: tuple[tuple[str, ...], ...] = tuple(sorted((tuple(p.split()) for p in (
    "a student", "student", "the student", "one student", "a pupil", "a kid", "a child",
    "someone", "somebody", "one of my students", "one of my pupils", "one of my kids",
    "one of the students", "my student", "a certain student", "a particular student",
    "תלמיד", "תלמידה", "התלמיד", "התלמידה", "תלמיד אחד", "תלמידה אחת", "אחד התלמידים",
    "אחת התלמידות", "אחד מהתלמידים", "אחת מהתלמידות", "מישהו", "מישהי", "ילד", "ילדה",
    "ילד אחד", "ילדה אחת",
)), key=len, reverse=True))  # fmt: skip
NAMING = frozenset("named called בשם ששמו ששמה".split())
# Talked about, but no student ("I want to talk about something").
NOT_SOMEONE = frozenset("something anything nothing stuff משהו כלום דבר".split())
# Asking who one's students are: the `students` list.
MY_STUDENTS = frozenset({
    "who are my students", "which students do i have", "what students do i have",
    "who is in my class", "who are the students in my class", "who do i teach",
    "מי התלמידים שלי", "אילו תלמידים יש לי", "איזה תלמידים יש לי", "מי בכיתה שלי",
    "מי התלמידים בכיתה שלי", "מי התלמידים שלי השנה", "את מי אני מלמד", "את מי אני מלמדת",
})  # fmt: skip
# Marking the flagged analysis just read as dealt with, in words: `reviewed` alone.
MARK_REVIEWED = frozenset({
    "mark it reviewed", "mark it as reviewed", "mark as reviewed", "mark reviewed",
    "mark it done", "mark it as done", "mark as done", "it is reviewed", "dealt with", "handled",
    "סמן כנבדק", "סמני כנבדק", "תסמן כנבדק", "תסמני כנבדק", "סמן שנבדק", "סמני שנבדק",
    "טופל", "זה טופל", "סמן כטופל", "סמני כטופל",
})  # fmt: skip
# What a flag is for, said after the command ("flag for review", "סמן לבדיקה", "flag it for the
# principal"): no argument, since `flag` takes none; the flag is for the principal's review.
FLAG_FOR = frozenset({
    *(f"{it}{purpose}"
      for it in ("", "it ", "this ", "this one ")
      for purpose in ("for review", "for a review", "for follow up", "for follow-up",
                      "for followup", "for the principal", "for my principal",
                      "for the principal's review", "for principal review")),
    *(f"{it}{purpose}"
      for it in ("", "אותו ", "אותה ", "את זה ", "את הניתוח ")
      for purpose in ("לבדיקה", "למעקב", "למנהל", "למנהלת", "לבדיקת המנהל", "לבדיקת המנהלת",
                      "לבדיקה של המנהל", "לבדיקה של המנהלת", "להמשך טיפול")),
    "this", "this one", "את זה", "את הניתוח",
})  # fmt: skip
# "How many analyses ...?" with only these words around it (and a period, and for a principal a
# scope: "in grade 5") asks for the number the summary reports; a teacher's own words ("did I
# do") are among them.
HOW_MANY = (("how", "many", "analyses"), ("how", "many", "analysis"), ("כמה", "ניתוחים"))
COUNTING = frozenset(
    """were was have has been done did we i do are there made written so far in at the school
    total all our my by teachers for of
    היו היה נעשו בוצעו נכתבו עשינו עשו עשיתי ביצעתי כתבתי יש לי לנו כבר עד עכשיו בבית הספר
    סך הכל הכול בסך בסה״כ סה״כ שלי של אצל""".split()
)
# Words before the name left among them that make it a teacher's ("made by Dana", "כמה ניתוחים
# עשתה דנה?"), and after it ("did Dana do?"): that teacher's summary counts them. Not "did"
# alone: "how many analyses did Liam get?" asks about a student.
TEACHER_BEFORE = frozenset("by עשתה עשה כתבה כתב ביצעה ביצע".split())
TEACHER_AFTER = frozenset({"do"})
COUNTING = COUNTING | TEACHER_BEFORE
# "How is NAME doing?": what stands before the name, and what may follow it ("" for nothing).
# Tried longest first; "איך" needs its verb after the name ("איך שירה מתקדמת?").
HOW_IS: tuple[tuple[tuple[str, ...], tuple[tuple[str, ...], ...]], ...] = (
    (("how", "is"), (("doing",), ("getting", "on"), ("getting", "along"), ("progressing",),
                     ("coming", "along"), ())),
    # Asked of a past period too ("how was Liam doing last month?").
    (("how", "was"), (("doing",), ("getting", "on"), ("getting", "along"), ("progressing",),
                      ("coming", "along"), ())),
    (("how", "did"), (("do",), ("get", "on"), ("get", "along"))),  # "how did grade 5 do?"
    (("how", "are"), (("doing",), ("getting", "on"), ("progressing",), ("coming", "along"))),
    (("how", "are", "things", "with"), ((),)),
    (("מה", "שלום"), ((),)),
    (("מה", "שלומו", "של"), ((),)),
    (("מה", "שלומה", "של"), ((),)),
    (("מה", "המצב", "של"), ((),)),
    (("מה", "נשמע", "אצל"), ((),)),
    (("איך", "מתקדם"), ((),)),
    (("איך", "מתקדמת"), ((),)),
    (("איך",), (("מתקדם",), ("מתקדמת",), ("מסתדר",), ("מסתדרת",))),
    # A follow-up question ("and what about Noa?", "ומה עם נועה?").
    (("what", "about"), ((),)), (("and", "what", "about"), ((),)), (("how", "about"), ((),)),
    (("מה", "עם"), ((),)), (("ומה", "עם"), ((),)), (("מה", "לגבי"), ((),)),
    (("ומה", "לגבי"), ((),)),
)  # fmt: skip
NAME_WORDS = 4  # "teacher Dana Levi", "grade 5": more words than that are a sentence, not a name
# Words of everyday speech typed alone: no student's name, though one may be read as a name in
# the other script ("sorry" as שירה, "למה" as Liam).
SPEECH = frozenset(
    """sorry why what who when where how really wait hmm hm well so and but or maybe again what's
    למה מה מי מתי איפה איך כמה רגע סליחה נו אז אבל או אולי שוב""".split()
)
# Words that make "how is ..." small talk or a question about something else, not about a person.
NOT_A_NAME = frozenset(
    """you u ya it everything everyone everybody things thing life she he they her him them we i us
    this that your my our day work weather going today school doing getting progressing coming and
    in at with on הכל הכול כולם זה זאת הוא היא הם הן את אתה אתם לך לכם איתך אתכם העבודה היום
    הולך בית""".split()
)
